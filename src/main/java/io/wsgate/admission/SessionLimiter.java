package io.wsgate.admission;

import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionRegistry;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts sessions against the global, per-route and per-client limits of this replica, and (with a shared store)
 * keeps this replica's share of the cluster's counts. Open sessions are what the {@link SessionRegistry} says (the
 * same count as the {@code wsgate.sessions.active} gauges: in from the client's upgrade until both connections are
 * closed), per client address kept here from the registry's events; handshakes admitted but not yet finished are
 * held here as reservations, so a burst of simultaneous handshakes cannot overshoot a limit while the backends are
 * still answering.
 *
 * <p>A reservation ends when its session opens: the session, registered by the relay, takes its place over (found by
 * the client's connection address, the same object the relay registers), so it is never counted twice, locally nor
 * in the shared store, whose slot becomes the session's. A handshake that fails gives its reservation back when it
 * finishes.
 *
 * <p>Counts are kept per scope, the names {@link SharedLimits} shares them by: {@code all}, {@code route:<id>},
 * {@code client:<id>:<address>} (an IPv6 client by its network, {@code wsgate.limits.ipv6-prefix}), or
 * {@code client:<id>:claim.<hash>} for a client keyed by a token claim ({@code client-key},
 * {@link io.wsgate.config.ClientKey#keyOf}).
 */
final class SessionLimiter implements SessionRegistry.Listener {

    static final String ALL = "all";

    /** One handshake's places: its scopes (all, route, client if known) with their limits (0: none). */
    record Slot(String routeId, List<String> scopes, List<Integer> limits) {}

    /** A handshake's reservation: {@link #refusal()} says why there was none. */
    static final class Reservation {

        private final Slot slot;

        private final InetSocketAddress connection;

        private final String refusal;

        private volatile boolean tracked;

        private volatile boolean sharedTaken;

        private Reservation(Slot slot, InetSocketAddress connection, String refusal) {
            this.slot = slot;
            this.connection = connection;
            this.refusal = refusal;
        }

        /** Why no session can be admitted now, or {@code null}: then {@link #finish} must be called when done. */
        String refusal() {
            return this.refusal;
        }

        /** The shared store counted this handshake's slot (to give back unless its session takes it over). */
        void sharedTaken() {
            this.sharedTaken = true;
        }
    }

    private final SessionRegistry open;

    private final int maxSessions;

    private final int ipv6Prefix;

    private final SharedLimits shared;

    // Guarded by this.
    private final Map<String, long[]> pending = new HashMap<>();

    private final Map<String, long[]> openByClient = new ConcurrentHashMap<>();

    // Reservations not yet ended, by the client connection they came on (one handshake at a time per connection).
    private final Map<InetSocketAddress, Reservation> inFlight = new ConcurrentHashMap<>();

    /** {@code shared}: the cluster's counts, or {@code null} when every limit holds per replica. */
    SessionLimiter(SessionRegistry open, int maxSessions, int ipv6Prefix, SharedLimits shared) {
        this.open = open;
        this.maxSessions = maxSessions;
        this.ipv6Prefix = ipv6Prefix;
        this.shared = shared;
    }

    /** Whether there is a limit across all routes, so that every session must be counted. */
    boolean limitsGlobally() {
        return this.maxSessions > 0;
    }

    /** {@code clientKey}: a token claim's key the client counts by, or {@code null} for its address. */
    Slot slot(String routeId, InetSocketAddress client, String clientKey, int routeMax, int clientMax) {
        String clientScope = clientScope(routeId, client, clientKey);
        return clientScope != null
                ? new Slot(
                        routeId,
                        List.of(ALL, routeScope(routeId), clientScope),
                        List.of(this.maxSessions, routeMax, clientMax))
                : new Slot(routeId, List.of(ALL, routeScope(routeId)), List.of(this.maxSessions, routeMax));
    }

    /** The scopes a session counts in. */
    List<String> scopes(ProxiedSession session) {
        return slot(session.routeId(), session.clientAddress(), session.clientKey(), 0, 0)
                .scopes();
    }

    /** A reservation on every scope of {@code slot}, unless one is full (then its {@code refusal} says which). */
    synchronized Reservation tryReserve(Slot slot, InetSocketAddress connection) {
        for (int i = 0; i < slot.scopes().size(); i++) {
            int limit = slot.limits().get(i);
            String scope = slot.scopes().get(i);
            if (limit > 0 && openOn(scope) + pendingOn(scope) >= limit) {
                return new Reservation(slot, connection, full(i, limit, ""));
            }
        }
        for (String scope : slot.scopes()) {
            this.pending.computeIfAbsent(scope, key -> new long[1])[0]++;
        }
        Reservation reservation = new Reservation(slot, connection, null);
        reservation.tracked = connection != null && this.inFlight.putIfAbsent(connection, reservation) == null;
        return reservation;
    }

    /** The handshake is done: its reservation is given back unless its session took it over. */
    void finish(Reservation reservation) {
        if (reservation.tracked && !this.inFlight.remove(reservation.connection, reservation)) {
            return;
        }
        release(reservation.slot);
        if (reservation.sharedTaken) {
            this.shared.add(reservation.slot.scopes(), -1);
        }
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

    private synchronized void release(Slot slot) {
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
        Reservation reservation = takeOver(session);
        if (this.shared != null && (reservation == null || !reservation.sharedTaken)) {
            // Every session counts in the shared store, limited or not: a replica's share is all it holds.
            this.shared.add(scopes(session), 1);
        }
    }

    /** Counts the session by its client, and ends its handshake's reservation (returned), in one step. */
    private synchronized Reservation takeOver(ProxiedSession session) {
        String client = clientScope(session.routeId(), session.clientAddress(), session.clientKey());
        if (client != null) {
            this.openByClient.computeIfAbsent(client, key -> new long[1])[0]++;
        }
        Reservation reservation = session.clientAddress() != null ? this.inFlight.get(session.clientAddress()) : null;
        if (reservation == null
                || !reservation.slot.routeId().equals(session.routeId())
                || !this.inFlight.remove(session.clientAddress(), reservation)) {
            return null;
        }
        release(reservation.slot);
        return reservation;
    }

    @Override
    public void ended(ProxiedSession session) {
        synchronized (this) {
            String client = clientScope(session.routeId(), session.clientAddress(), session.clientKey());
            if (client != null) {
                long[] count = this.openByClient.get(client);
                if (count != null && --count[0] == 0) {
                    this.openByClient.remove(client);
                }
            }
        }
        if (this.shared != null) {
            this.shared.add(scopes(session), -1);
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

    /** The client's scope on a route, or {@code null} when it has no claim key and its address is not known. */
    String clientScope(String routeId, InetSocketAddress client, String clientKey) {
        String key = HandshakeRateLimiter.clientKey(client, clientKey, this.ipv6Prefix);
        return key != null ? "client:" + routeId + ":" + key : null;
    }
}
