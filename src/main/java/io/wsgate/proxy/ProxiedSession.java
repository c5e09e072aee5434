package io.wsgate.proxy;

import io.netty.channel.Channel;
import io.wsgate.metrics.ClosedBy;
import io.wsgate.metrics.Direction;
import io.wsgate.metrics.RouteMeters;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Mono;

/**
 * One proxied session as the operator sees it: where it goes, what went through it each way, and who
 * closed it first with which code. Feeds the route's meters and the session log.
 */
final class ProxiedSession {

    /** The first close of a session: which side, and the code that side sent (1006 when it sent none). */
    record FirstClose(ClosedBy closedBy, int code, String reason) {}

    private final String routeId;

    private final InetSocketAddress clientAddress;

    private final URI backendUri;

    private final RouteMeters meters;

    private final FrameLog frameLog;

    private final RoutePolicy policy;

    private final long startNanos = System.nanoTime();

    // Per direction: [messages, bytes]; each direction is written by one relay stream at a time.
    private final AtomicLongArray counts = new AtomicLongArray(4);

    private final AtomicReference<FirstClose> firstClose = new AtomicReference<>();

    private volatile long lastMessageNanos = this.startNanos;

    private volatile WebSocketSession client;

    private volatile BackendConnection backend;

    private volatile GatewayClose gatewayClose;

    ProxiedSession(
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

    /** The client's Netty channel, for {@link ClientLegClose}; set once the client is upgraded. */
    private volatile Channel clientChannel;

    void clientChannel(Channel channel) {
        this.clientChannel = channel;
    }

    Channel clientChannel() {
        return this.clientChannel;
    }

    String routeId() {
        return this.routeId;
    }

    InetSocketAddress clientAddress() {
        return this.clientAddress;
    }

    URI backendUri() {
        return this.backendUri;
    }

    RoutePolicy policy() {
        return this.policy;
    }

    RouteMeters meters() {
        return this.meters;
    }

    WebSocketSession client() {
        return this.client;
    }

    BackendConnection backend() {
        return this.backend;
    }

    /** The client is upgraded and relaying to {@code backend}: the session is open. */
    void opened(WebSocketSession client, BackendConnection backend) {
        this.client = client;
        this.backend = backend;
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

    long messages(Direction direction) {
        return this.counts.get(direction.ordinal() * 2);
    }

    long bytes(Direction direction) {
        return this.counts.get(direction.ordinal() * 2 + 1);
    }

    /**
     * Claims the first close for {@code closedBy}; {@code received} is the status that side sent, {@code null}
     * when it went away without a close frame. Returns false when the other side (or the gateway) was first.
     */
    boolean claimFirstClose(ClosedBy closedBy, CloseStatus received) {
        int code = received != null ? received.getCode() : CloseStatus.NO_CLOSE_FRAME.getCode();
        String reason = received != null ? received.getReason() : null;
        return this.firstClose.compareAndSet(null, new FirstClose(closedBy, code, reason));
    }

    /**
     * The gateway ends the session: both legs get the statuses of {@code close}, unless a side closed first.
     * Recorded as closed by the gateway with the code sent to the leg at fault, and logged with the reason.
     */
    Mono<Void> closeByGateway(GatewayClose close) {
        if (this.client == null
                || !this.firstClose.compareAndSet(
                        null,
                        new FirstClose(
                                ClosedBy.GATEWAY, close.code(), close.toClient().getReason()))) {
            return Mono.empty();
        }
        this.gatewayClose = close;
        SessionLog.closedByGateway(this, close);
        Mono<Void> toClient = ClientLegClose.close(this.client, this.clientChannel, close.toClient());
        return Mono.when(toClient.onErrorComplete(), this.backend.close(close.toBackend()));
    }

    /** Whether the gateway closed the session: nothing more is relayed after its close frames. */
    boolean closedByGateway() {
        return this.gatewayClose != null;
    }

    /** How the gateway closed the session, or {@code null} when it did not. */
    GatewayClose gatewayClose() {
        return this.gatewayClose;
    }

    /** Time since the last text or binary message either way (or since the session opened). */
    Duration quietFor() {
        return Duration.ofNanos(System.nanoTime() - this.lastMessageNanos);
    }

    FirstClose firstClose() {
        FirstClose close = this.firstClose.get();
        return close != null ? close : new FirstClose(ClosedBy.GATEWAY, CloseStatus.NO_CLOSE_FRAME.getCode(), null);
    }

    Duration lasted() {
        return Duration.ofNanos(System.nanoTime() - this.startNanos);
    }

    /** Records the end of the session in the meters; called once, when both legs are closed. */
    FirstClose closed() {
        FirstClose close = firstClose();
        this.meters.sessionClosed(lasted(), close.code(), close.closedBy());
        GatewayClose byGateway = this.gatewayClose;
        if (byGateway != null) {
            this.meters.gatewayClosed(byGateway.reason());
        }
        return close;
    }
}
