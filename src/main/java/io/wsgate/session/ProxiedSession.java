package io.wsgate.session;

import io.wsgate.config.RoutePolicy;
import io.wsgate.metrics.RouteMeters;
import io.wsgate.vocabulary.ClosedBy;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.Leg;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

/**
 * One proxied session as the operator sees it: where it goes, what went through it each way, and how it ended
 * ({@link SessionLifecycle}). Feeds the route's meters and the session log.
 */
public final class ProxiedSession {

    // Session ids: unique in this process, and across restarts by the process's random prefix.
    private static final String ID_PREFIX = Long.toString(new SecureRandom().nextInt(36 * 36 * 36 * 36), 36) + "-";

    private static final AtomicLong IDS = new AtomicLong();

    private final String id = ID_PREFIX + Long.toString(IDS.incrementAndGet(), 36);

    private final Instant openedAt = Instant.now();

    private final String routeId;

    private final InetSocketAddress clientAddress;

    private final URI backendUri;

    private final RouteMeters meters;

    private final FrameLog frameLog;

    private final RoutePolicy policy;

    private final SessionLifecycle lifecycle = new SessionLifecycle(this);

    private final long startNanos = System.nanoTime();

    // Per direction: [messages, bytes]; each direction is written by one relay stream at a time.
    private final AtomicLongArray counts = new AtomicLongArray(4);

    private volatile long lastMessageNanos = this.startNanos;

    private volatile WebSocketSession client;

    private volatile WebSocketSession backend;

    private volatile String subprotocol;

    private volatile boolean clientCompressed;

    private volatile boolean backendCompressed;

    private volatile Instant tokenDeadline;

    private volatile String clientKey;

    public ProxiedSession(
            String routeId,
            InetSocketAddress clientAddress,
            URI backendUri,
            RouteMeters meters,
            FrameLog frameLog,
            RoutePolicy policy) {
        this.routeId = routeId;
        this.clientAddress = clientAddress;
        this.backendUri = backendUri;
        this.meters = meters;
        this.frameLog = frameLog;
        this.policy = policy;
    }

    /** This session's id, unique in the process: the management endpoint's handle on it. */
    public String id() {
        return this.id;
    }

    public String routeId() {
        return this.routeId;
    }

    public InetSocketAddress clientAddress() {
        return this.clientAddress;
    }

    /** The backend instance this session is connected to (after load balancing). */
    public URI backendUri() {
        return this.backendUri;
    }

    /** The backend instance's port, the scheme's default when the URI names none. */
    public int backendPort() {
        int port = this.backendUri.getPort();
        return port != -1 ? port : ("wss".equals(this.backendUri.getScheme()) ? 443 : 80);
    }

    /** When the backend handshake began. */
    public Instant openedAt() {
        return this.openedAt;
    }

    /** The subprotocol the backend selected, or {@code null}. */
    public String subprotocol() {
        return this.subprotocol;
    }

    /** Whether permessage-deflate was negotiated on {@code leg}. */
    public boolean compressed(Leg leg) {
        return leg == Leg.CLIENT ? this.clientCompressed : this.backendCompressed;
    }

    /**
     * The session must end at {@code deadline}: its client's token expires then (plus the grace). Set before the
     * relay starts, that is before the session's timers are.
     */
    public void endsWithTokenAt(Instant deadline) {
        this.tokenDeadline = deadline;
    }

    /**
     * The client counts for the per-client limits as {@code clientKey} (a token claim's key), not by its address.
     * Set before the relay starts, that is before the session is registered.
     */
    public void countsAs(String clientKey) {
        this.clientKey = clientKey;
    }

    /** The client's key for the per-client limits, or {@code null}: it counts by its address. */
    public String clientKey() {
        return this.clientKey;
    }

    /** When the client's token expires (plus the grace), or {@code null} on a route without auth. */
    public Instant tokenDeadline() {
        return this.tokenDeadline;
    }

    public RoutePolicy policy() {
        return this.policy;
    }

    RouteMeters meters() {
        return this.meters;
    }

    /** How this session ends; every close goes through it. */
    public SessionLifecycle lifecycle() {
        return this.lifecycle;
    }

    WebSocketSession client() {
        return this.client;
    }

    WebSocketSession backend() {
        return this.backend;
    }

    /** The client is upgraded and relaying to {@code backend}: the session is open. */
    void opened(
            WebSocketSession client, WebSocketSession backend, boolean clientCompressed, boolean backendCompressed) {
        this.client = client;
        this.backend = backend;
        this.subprotocol = backend.getHandshakeInfo().getSubProtocol();
        this.clientCompressed = clientCompressed;
        this.backendCompressed = backendCompressed;
        this.meters.sessionOpened();
    }

    void relayed(Direction direction, WebSocketMessage message) {
        int size = message.getPayload().readableByteCount();
        if (message.getType() == WebSocketMessage.Type.TEXT || message.getType() == WebSocketMessage.Type.BINARY) {
            this.lastMessageNanos = System.nanoTime();
        }
        int base = direction.ordinal() * 2;
        this.counts.lazySet(base, this.counts.get(base) + 1);
        this.counts.lazySet(base + 1, this.counts.get(base + 1) + size);
        this.meters.message(direction, message.getType(), size);
        this.frameLog.log(this, direction, message);
    }

    /** Text, binary, ping and pong messages relayed in {@code direction} so far. */
    public long messages(Direction direction) {
        return this.counts.get(direction.ordinal() * 2);
    }

    /** Payload bytes relayed in {@code direction} so far. */
    public long bytes(Direction direction) {
        return this.counts.get(direction.ordinal() * 2 + 1);
    }

    /** The gateway ends the session (timers, limits, drain), unless it is ending already. */
    public void closeByGateway(GatewayClose close) {
        this.lifecycle.close(close);
    }

    /** Time since the last text or binary message either way (or since the session opened). */
    Duration quietFor() {
        return Duration.ofNanos(System.nanoTime() - this.lastMessageNanos);
    }

    /** {@link System#nanoTime()} when the session began: the time base of its timers. */
    long startNanos() {
        return this.startNanos;
    }

    Duration lasted() {
        return Duration.ofNanos(System.nanoTime() - this.startNanos);
    }

    /** Records the end of the session in the meters; called once, when both legs are closed. */
    SessionLifecycle.Ending closed() {
        SessionLifecycle.Ending ending = this.lifecycle.ending();
        if (ending == null) {
            // Cannot happen: both legs closed means the lifecycle heard of it.
            ending = new SessionLifecycle.Ending(
                    ClosedBy.GATEWAY, CloseStatus.NO_CLOSE_FRAME.getCode(), null, null, null, null);
        }
        this.meters.sessionClosed(lasted(), ending.code(), ending.closedBy());
        if (ending.byGateway() != null) {
            this.meters.gatewayClosed(ending.byGateway().reason());
        }
        return ending;
    }
}
