package io.wsgate.admission;

import io.wsgate.metrics.RouteMeters;
import io.wsgate.session.SessionRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts sessions against the per-route and global limits. Open sessions are what the {@link SessionRegistry} says
 * (the same count as the {@code wsgate.sessions.active} gauges: in from the client's upgrade until both connections
 * are closed); handshakes admitted but
 * not yet finished are held here as reservations, so a burst of simultaneous handshakes cannot overshoot a
 * limit while the backends are still answering.
 *
 * <p>A reservation is released when the handshake finishes either way. When the client was upgraded, the
 * relay has already counted the session as active by then (Reactor Netty starts the WebSocket handler before
 * it completes the upgrade), so the session never drops out of the count in between.
 */
final class SessionLimiter {

    private final SessionRegistry open;

    private final int maxSessions;

    private final Map<String, int[]> pendingByRoute = new ConcurrentHashMap<>();

    private int pending;

    SessionLimiter(SessionRegistry open, int maxSessions) {
        this.open = open;
        this.maxSessions = maxSessions;
    }

    /** Whether there is a limit across all routes, so that every session must be counted. */
    boolean limitsGlobally() {
        return this.maxSessions > 0;
    }

    /** Why no session can be admitted now, or {@code null} with a reservation to release when done. */
    synchronized String tryReserve(RouteMeters route, int routeMax) {
        int[] routePending = this.pendingByRoute.computeIfAbsent(route.route(), id -> new int[1]);
        if (this.maxSessions > 0 && this.open.active() + this.pending >= this.maxSessions) {
            return "the gateway has " + this.maxSessions + " sessions open, its limit";
        }
        if (routeMax > 0 && this.open.activeOn(route.route()) + routePending[0] >= routeMax) {
            return "the route has " + routeMax + " sessions open, its limit";
        }
        this.pending++;
        routePending[0]++;
        return null;
    }

    /** Handshakes admitted and not finished yet, across all routes. */
    synchronized int pending() {
        return this.pending;
    }

    synchronized void release(RouteMeters route) {
        this.pending--;
        this.pendingByRoute.get(route.route())[0]--;
    }
}
