package io.wsgate.metrics;

/**
 * Every meter wsgate publishes, in one place. Names as Micrometer sees them; Prometheus shows dots as
 * underscores, counters with {@code _total} and timers with {@code _seconds}.
 */
public final class WsgateMeterNames {

    /** Gauge: proxied sessions open now. Tags: route. */
    public static final String SESSIONS_ACTIVE = "wsgate.sessions.active";

    /** Counter: proxied sessions opened (client upgraded after the backend accepted). Tags: route. */
    public static final String SESSIONS_OPENED = "wsgate.sessions.opened";

    /** A route's max-sessions, for routes that have one (from their first handshake). */
    public static final String SESSIONS_LIMIT = "wsgate.sessions.limit";

    /** Counter: proxied sessions closed. Tags: route, close.code, closed.by. */
    public static final String SESSIONS_CLOSED = "wsgate.sessions.closed";

    /** Timer: how long proxied sessions lasted, recorded at close. Tags: route. */
    public static final String SESSIONS_DURATION = "wsgate.sessions.duration";

    /** Counter: upgrade requests answered with an HTTP error instead of a 101. Tags: route, reason, status. */
    public static final String HANDSHAKES_REJECTED = "wsgate.handshakes.rejected";

    /** Timer: backend WebSocket handshake latency, connect included. Tags: route, outcome. */
    public static final String BACKEND_HANDSHAKE = "wsgate.backend.handshake";

    /** Counter: messages relayed. Tags: route, direction, type. */
    public static final String MESSAGES = "wsgate.messages";

    /** Counter: payload bytes relayed. Tags: route, direction, type. */
    public static final String MESSAGE_BYTES = "wsgate.message.bytes";

    /** Gauge: 1 when the route's last health probe reached a backend, 0 when none answered. Tags: route. */
    public static final String ROUTE_UP = "wsgate.route.up";

    /** Counter: sessions the gateway closed itself (timeouts, limits, shutdown). Tags: route, reason. */
    public static final String GATEWAY_CLOSES = "wsgate.gateway.closes";

    /** Counter: keepalive pings the gateway sent. Tags: route, peer (client, backend). */
    public static final String KEEPALIVE_PINGS = "wsgate.keepalive.pings";

    /** Counter: keepalive pings that got no pong within the pong timeout. Tags: route, peer. */
    public static final String KEEPALIVE_UNANSWERED = "wsgate.keepalive.unanswered";
    /** Counter: route file reloads, applied or rejected. Tags: outcome ({@code success}, {@code rejected}). */
    public static final String ROUTES_RELOADS = "wsgate.routes.reloads";

    /** Messages held back by a route's per-session rate ({@code rate-limit-action: throttle}). */
    public static final String MESSAGES_THROTTLED = "wsgate.messages.throttled";

    /** Sessions open on routes a reload removed or re-pointed, by change and by what was done to them. */
    public static final String ROUTES_RELOAD_SESSIONS = "wsgate.routes.reload.sessions";

    public static final String TAG_CHANGE = "change";

    public static final String TAG_ACTION = "action";

    /** Write operations on the management endpoint {@code /actuator/wsgate}, by operation and outcome. */
    public static final String ADMIN_WRITES = "wsgate.admin.writes";

    /**
     * Counter: calls to the shared store (Redis, {@code wsgate.cluster.store}) that failed or timed out; admission
     * used this replica's own limits for them.
     */
    public static final String CLUSTER_STORE_ERRORS = "wsgate.cluster.store.errors";

    /** Gauge: 1 while the shared store answers, 0 while admission goes by this replica's own limits. */
    public static final String CLUSTER_STORE_UP = "wsgate.cluster.store.up";

    public static final String TAG_OPERATION = "operation";

    public static final String TAG_ROUTE = "route";

    public static final String TAG_DIRECTION = "direction";

    public static final String TAG_TYPE = "type";

    public static final String TAG_CLOSE_CODE = "close.code";

    public static final String TAG_CLOSED_BY = "closed.by";

    public static final String TAG_REASON = "reason";

    public static final String TAG_STATUS = "status";

    public static final String TAG_OUTCOME = "outcome";

    public static final String TAG_PEER = "peer";

    private WsgateMeterNames() {}
}
