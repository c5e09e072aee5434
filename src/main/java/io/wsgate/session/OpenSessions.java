package io.wsgate.session;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The proxied sessions open now, so that shutdown can close each with 1001 instead of dropping it. */
class OpenSessions {

    private final Set<ProxiedSession> sessions = ConcurrentHashMap.newKeySet();

    void add(ProxiedSession session) {
        this.sessions.add(session);
    }

    void remove(ProxiedSession session) {
        this.sessions.remove(session);
    }

    List<ProxiedSession> snapshot() {
        return List.copyOf(this.sessions);
    }

    int size() {
        return this.sessions.size();
    }
}
