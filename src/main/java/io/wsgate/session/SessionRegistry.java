package io.wsgate.session;

import io.wsgate.metrics.ActiveSessions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxied sessions open now: the one count that admission's limits, the drain on shutdown and the
 * {@code wsgate.sessions.active} gauges read. A session is in it from its client's upgrade until both of its
 * connections are closed.
 */
public final class SessionRegistry implements ActiveSessions {

    private final Map<String, ProxiedSession> sessions = new ConcurrentHashMap<>();

    // Strong references per route, kept after a route's last session: the gauges read them.
    private final Map<String, AtomicLong> byRoute = new ConcurrentHashMap<>();

    void opened(ProxiedSession session) {
        this.sessions.put(session.id(), session);
        routeCount(session.routeId()).incrementAndGet();
    }

    void ended(ProxiedSession session) {
        if (this.sessions.remove(session.id(), session)) {
            routeCount(session.routeId()).decrementAndGet();
        }
    }

    /** The sessions open now, at the moment of the call. */
    public List<ProxiedSession> snapshot() {
        return List.copyOf(this.sessions.values());
    }

    /** The open session with this id, or {@code null}. */
    public ProxiedSession find(String id) {
        return this.sessions.get(id);
    }

    /** Sessions open now across all routes. */
    public long active() {
        return this.sessions.size();
    }

    @Override
    public long activeOn(String routeId) {
        AtomicLong count = this.byRoute.get(routeId);
        return count != null ? count.get() : 0;
    }

    private AtomicLong routeCount(String routeId) {
        return this.byRoute.computeIfAbsent(routeId, id -> new AtomicLong());
    }
}
