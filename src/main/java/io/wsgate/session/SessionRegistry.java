package io.wsgate.session;

import io.wsgate.metrics.ActiveSessions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxied sessions open now: the one count that admission's limits, the drain on shutdown and the
 * {@code wsgate.sessions.active} gauges read. A session is in it from its client's upgrade until both of its
 * connections are closed.
 */
public final class SessionRegistry implements ActiveSessions {

    /** Told of every session as it enters and leaves the registry, on the thread that changed it. */
    public interface Listener {

        void opened(ProxiedSession session);

        void ended(ProxiedSession session);
    }

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    private final Map<String, ProxiedSession> sessions = new ConcurrentHashMap<>();

    // Strong references per route, kept after a route's last session: the gauges read them.
    private final Map<String, AtomicLong> byRoute = new ConcurrentHashMap<>();

    // Per backend instance (host:port), for balancing by sessions.
    private final Map<String, AtomicLong> byInstance = new ConcurrentHashMap<>();

    void opened(ProxiedSession session) {
        this.sessions.put(session.id(), session);
        routeCount(session.routeId()).incrementAndGet();
        // compute(): atomic per key, so a count is never dropped from the map while another session raises it.
        this.byInstance.compute(instance(session), (key, count) -> {
            AtomicLong counted = count != null ? count : new AtomicLong();
            counted.incrementAndGet();
            return counted;
        });
        this.listeners.forEach(listener -> listener.opened(session));
    }

    void ended(ProxiedSession session) {
        if (this.sessions.remove(session.id(), session)) {
            routeCount(session.routeId()).decrementAndGet();
            this.byInstance.compute(
                    instance(session), (key, count) -> count == null || count.decrementAndGet() == 0 ? null : count);
            this.listeners.forEach(listener -> listener.ended(session));
        }
    }

    /** Counts kept elsewhere by other keys (admission's per-client counts) follow the registry through this. */
    public void addListener(Listener listener) {
        this.listeners.add(listener);
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

    /** Sessions open now to the backend instance at {@code host} and {@code port}, across routes. */
    public long activeOnInstance(String host, int port) {
        AtomicLong count = this.byInstance.get(instanceKey(host, port));
        return count != null ? count.get() : 0;
    }

    /** How a backend instance is named here and by the load balancer: {@code host:port}, the host in lower case. */
    public static String instanceKey(String host, int port) {
        return host.toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static String instance(ProxiedSession session) {
        String host = session.backendUri().getHost();
        return host != null ? instanceKey(host, session.backendPort()) : "-";
    }

    private AtomicLong routeCount(String routeId) {
        return this.byRoute.computeIfAbsent(routeId, id -> new AtomicLong());
    }
}
