package io.wsgate.metrics;

import static io.wsgate.metrics.WsgateMeterNames.*;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.wsgate.vocabulary.ClosedBy;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.GatewayCloseReason;
import io.wsgate.vocabulary.Leg;
import io.wsgate.vocabulary.RejectionReason;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.web.reactive.socket.WebSocketMessage;

/**
 * The meters of one route, resolved once so that recording a message is an array index and an add: no
 * tag lookup and no allocation on the per-frame path.
 */
public final class RouteMeters {

    private static final WebSocketMessage.Type[] TYPES = WebSocketMessage.Type.values();

    private final MeterRegistry registry;

    private final String route;

    // Strong reference: the gauge only holds it weakly. Registered with the route's first limit.
    private final AtomicLong sessionLimit = new AtomicLong();

    private volatile boolean sessionLimitRegistered;

    private final Counter opened;

    private final Timer duration;

    private final Counter[][] messages;

    private final Counter[][] bytes;

    RouteMeters(MeterRegistry registry, String route, ActiveSessions activeSessions) {
        this.registry = registry;
        this.route = route;
        Gauge.builder(SESSIONS_ACTIVE, activeSessions, sessions -> sessions.activeOn(route))
                .description("Proxied WebSocket sessions open now")
                .tag(TAG_ROUTE, route)
                .register(registry);
        this.opened = Counter.builder(SESSIONS_OPENED)
                .description("Proxied WebSocket sessions opened: the backend accepted and the client was upgraded")
                .tag(TAG_ROUTE, route)
                .register(registry);
        this.duration = Timer.builder(SESSIONS_DURATION)
                .description("How long proxied WebSocket sessions lasted")
                .tag(TAG_ROUTE, route)
                .register(registry);
        Direction[] directions = Direction.values();
        this.messages = new Counter[directions.length][TYPES.length];
        this.bytes = new Counter[directions.length][TYPES.length];
        for (Direction direction : directions) {
            for (WebSocketMessage.Type type : TYPES) {
                String typeTag = type.name().toLowerCase(Locale.ROOT);
                this.messages[direction.ordinal()][type.ordinal()] = Counter.builder(MESSAGES)
                        .description("WebSocket messages relayed")
                        .tags(TAG_ROUTE, route, TAG_DIRECTION, direction.tag(), TAG_TYPE, typeTag)
                        .register(registry);
                this.bytes[direction.ordinal()][type.ordinal()] = Counter.builder(MESSAGE_BYTES)
                        .description("WebSocket message payload bytes relayed")
                        .baseUnit("bytes")
                        .tags(TAG_ROUTE, route, TAG_DIRECTION, direction.tag(), TAG_TYPE, typeTag)
                        .register(registry);
            }
        }
    }

    public String route() {
        return this.route;
    }

    /**
     * The route's {@code max-sessions} as of its latest handshake; a route with a limit gets the
     * {@code wsgate.sessions.limit} gauge, so alerts can compare the open sessions with it.
     */
    public void sessionLimit(long limit) {
        this.sessionLimit.set(limit);
        if (limit > 0 && !this.sessionLimitRegistered) {
            Gauge.builder(SESSIONS_LIMIT, this.sessionLimit, AtomicLong::get)
                    .description("The route's max-sessions (0: none any more)")
                    .tag(TAG_ROUTE, this.route)
                    .register(this.registry);
            this.sessionLimitRegistered = true;
        }
    }

    public void sessionOpened() {
        this.opened.increment();
    }

    /** Records a finished session; {@code closeCode} is what the side that closed first sent (1006: nothing). */
    public void sessionClosed(Duration lasted, int closeCode, ClosedBy closedBy) {
        this.duration.record(lasted.toNanos(), TimeUnit.NANOSECONDS);
        // At most once per session, and the tag values come from small fixed sets: a lookup is fine here.
        Counter.builder(SESSIONS_CLOSED)
                .description("Proxied WebSocket sessions closed, by close code and by the side that closed first")
                .tags(TAG_ROUTE, this.route, TAG_CLOSE_CODE, CloseCodeTag.of(closeCode), TAG_CLOSED_BY, closedBy.tag())
                .register(this.registry)
                .increment();
    }

    public void message(Direction direction, WebSocketMessage.Type type, int payloadBytes) {
        this.messages[direction.ordinal()][type.ordinal()].increment();
        this.bytes[direction.ordinal()][type.ordinal()].increment(payloadBytes);
    }

    /** Records a backend handshake attempt that ended with {@code outcome} (success or a rejection reason). */
    public void backendHandshake(long nanos, String outcome) {
        Timer.builder(BACKEND_HANDSHAKE)
                .description("Backend WebSocket handshake latency, connect included")
                .tags(TAG_ROUTE, this.route, TAG_OUTCOME, outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(this.registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void handshakeRejected(RejectionReason reason, int status) {
        Counter.builder(HANDSHAKES_REJECTED)
                .description("WebSocket upgrade requests answered with an HTTP error instead of 101")
                .tags(TAG_ROUTE, this.route, TAG_REASON, reason.tag(), TAG_STATUS, Integer.toString(status))
                .register(this.registry)
                .increment();
    }

    /** Records a session the gateway closed itself, for {@code reason}. */
    public void gatewayClosed(GatewayCloseReason reason) {
        Counter.builder(GATEWAY_CLOSES)
                .description("Proxied WebSocket sessions the gateway closed itself: timeouts, limits, shutdown")
                .tags(TAG_ROUTE, this.route, TAG_REASON, reason.tag())
                .register(this.registry)
                .increment();
    }

    /** Records a message held back by the route's message or byte rate ({@code rate-limit-action: throttle}). */
    public void messageThrottled(Direction direction) {
        Counter.builder(MESSAGES_THROTTLED)
                .description("Messages held back by the route's per-session message or byte rate")
                .tags(TAG_ROUTE, this.route, TAG_DIRECTION, direction.tag())
                .register(this.registry)
                .increment();
    }

    /** Records a keepalive ping sent to {@code peer}. */
    public void keepalivePing(Leg peer) {
        peerCounter(KEEPALIVE_PINGS, "Keepalive pings the gateway sent", peer).increment();
    }

    /** Records a keepalive ping to {@code peer} that got no pong in time. */
    public void keepaliveUnanswered(Leg peer) {
        peerCounter(KEEPALIVE_UNANSWERED, "Keepalive pings that got no pong within the pong timeout", peer)
                .increment();
    }

    private Counter peerCounter(String name, String description, Leg peer) {
        return Counter.builder(name)
                .description(description)
                .tags(TAG_ROUTE, this.route, TAG_PEER, peer.tag())
                .register(this.registry);
    }
}
