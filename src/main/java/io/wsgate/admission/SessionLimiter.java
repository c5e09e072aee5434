package io.wsgate.admission;

import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts sessions against the global, per-route and per-client limits of this replica. Open sessions are what the
 * {@link SessionRegistry} says (the same count as the {@code wsgate.sessions.active} gauges: in from the client's
 * upgrade until both connections are closed), per client address kept here from the registry's events; handshakes
 * admitted but not yet finished are held here as reservations, so a burst of simultaneous handshakes cannot
 * overshoot a limit while the backends are still answering.
 *
 * <p>A reservation is released when the handshake finishes either way. When the client was upgraded, the
 * relay has already counted the session as active by then (Reactor Netty starts the WebSocket handler before
 * it completes the upgrade), so the session never drops out of the count in between.
 *
 * <p>Counts are kept per scope, the names {@link SharedLimits} shares them by: {@code all}, {@code route:<id>},
 * {@code client:<id>:<address>} (an IPv6 client by its network, {@code wsgate.limits.ipv6-prefix}).
 */
final class SessionLimiter implements SessionRegistry.Listener {

    static final String ALL = "all";

    /** One handshake's places: its scopes (all, route, client if known) with their limits (0: none). */
    record Slot(List<String> scopes, List<Integer> limits) {}

    private final SessionRegistry open;

    private final int maxSessions;

    private final int ipv6Prefix;

    // Guarded by this.
    private final Map<String, long[]> pending = new HashMap<>();

    private final Map<String, long[]> openByClient = new ConcurrentHashMap<>();

    SessionLimiter(SessionRegistry open, int maxSessions, int ipv6Prefix) {
        this.open = open;
        this.maxSessions = maxSessions;
        this.ipv6Prefix = ipv6Prefix;
    }

    /** Whether there is a limit across all routes, so that every session must be counted. */
    boolean limitsGlobally() {
        return this.maxSessions > 0;
    }

    Slot slot(String routeId, InetSocketAddress client, int routeMax, int clientMax) {
        String clientScope = clientScope(routeId, client);
        return clientScope != null
                ? new Slot(
                        List.of(ALL, routeScope(routeId), clientScope), List.of(this.maxSessions, routeMax, clientMax))
                : new Slot(List.of(ALL, routeScope(routeId)), List.of(this.maxSessions, routeMax));
    }

    /** The scopes a session counts in. */
    List<String> scopes(ProxiedSession session) {
        return slot(session.routeId(), session.clientAddress(), 0, 0).scopes();
    }

    /** Why no session can be admitted now, or {@code null} with a reservation to release when done. */
    synchronized String tryReserve(Slot slot) {
        for (int i = 0; i < slot.scopes().size(); i++) {
            int limit = slot.limits().get(i);
            String scope = slot.scopes().get(i);
            if (limit > 0 && openOn(scope) + pendingOn(scope) >= limit) {
                return full(i, limit, "");
            }
        }
        for (String scope : slot.scopes()) {
            this.pending.computeIfAbsent(scope, key -> new long[1])[0]++;
        }
        return null;
    }

    /** Why a slot's scope number {@code index} is full, at {@code limit} sessions ({@code where}: " across replicas"). */
    static String full(int index, int limit, String where) {
        return switch (index) {
            case 0 -> "the gateway has " + limit + " sessions open" + where + ", its limit";
            case 1 -> "the route has " + limit + " sessions open" + where + ", its limit";
            default -> "this client has " + limit + " sessions open on the route" + where + ", its limit";
        };
    }

    /** Handshakes admitted and not finished yet, across all routes. */
    synchronized int pending() {
        return (int) pendingOn(ALL);
    }

    synchronized void release(Slot slot) {
        for (String scope : slot.scopes()) {
            long[] count = this.pending.get(scope);
            if (--count[0] == 0 && !scope.equals(ALL)) {
                this.pending.remove(scope);
            }
        }
    }

    /** This replica's sessions open and handshakes admitted, per scope: its true share of the shared counts. */
    synchronized Map<String, Long> counts() {
        Map<String, Long> counts = new HashMap<>();
        for (ProxiedSession session : this.open.snapshot()) {
            for (String scope : scopes(session)) {
                counts.merge(scope, 1L, Long::sum);
            }
        }
        this.pending.forEach((scope, count) -> counts.merge(scope, count[0], Long::sum));
        counts.values().removeIf(count -> count == 0);
        return counts;
    }

    @Override
    public void opened(ProxiedSession session) {
        String client = clientScope(session.routeId(), session.clientAddress());
        if (client != null) {
            this.openByClient.compute(client, (key, count) -> {
                long[] counted = count != null ? count : new long[1];
                counted[0]++;
                return counted;
            });
        }
    }

    @Override
    public void ended(ProxiedSession session) {
        String client = clientScope(session.routeId(), session.clientAddress());
        if (client != null) {
            this.openByClient.compute(client, (key, count) -> count == null || --count[0] == 0 ? null : count);
        }
    }

    private long openOn(String scope) {
        if (scope.equals(ALL)) {
            return this.open.active();
        }
        if (scope.startsWith("route:")) {
            return this.open.activeOn(scope.substring("route:".length()));
        }
        long[] count = this.openByClient.get(scope);
        return count != null ? count[0] : 0;
    }

    private long pendingOn(String scope) {
        long[] count = this.pending.get(scope);
        return count != null ? count[0] : 0;
    }

    static String routeScope(String routeId) {
        return "route:" + routeId;
    }

    /** The client's scope on a route, or {@code null} when its address is not known. */
    String clientScope(String routeId, InetSocketAddress client) {
        if (client == null || client.getAddress() == null) {
            return null;
        }
        InetAddress key = HandshakeRateLimiter.clientKey(client.getAddress(), this.ipv6Prefix);
        return "client:" + routeId + ":" + key.getHostAddress();
    }
}
