package io.wsgate.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.util.Timer;
import io.wsgate.config.MessageLimits;
import io.wsgate.vocabulary.Direction;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.ReflectionUtils;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.adapter.AbstractWebSocketSession;
import org.springframework.web.reactive.socket.adapter.ReactorNettyWebSocketSession;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.channel.AbortedException;

/**
 * Relays messages both ways between an upgraded client and its backend. Backpressure is end to end: each leg reads
 * only as fast as the other leg writes. How the session ends is not decided here but by its
 * {@link SessionLifecycle}, which this relay hands both connections to before the first message.
 */
public class WebSocketRelay {

    private static final Logger logger = LoggerFactory.getLogger(WebSocketRelay.class);

    private static final Method GET_DELEGATE = delegateAccessor();

    private final SessionRegistry sessions;

    private final Scheduler timerScheduler;

    private final Timer timerWheel;

    /**
     * {@code timerWheel} runs every session's timers ({@link SessionTimers}); {@code timerScheduler} the waits of the
     * throttled message rates.
     */
    WebSocketRelay(SessionRegistry sessions, Scheduler timerScheduler, Timer timerWheel) {
        this.sessions = sessions;
        this.timerScheduler = timerScheduler;
        this.timerWheel = timerWheel;
    }

    /**
     * Relays until both legs' connections are closed; {@code releaseBackend} then lets the backend connection go.
     */
    public Mono<Void> relay(
            WebSocketSession client, WebSocketSession backend, Runnable releaseBackend, ProxiedSession session) {
        SessionLifecycle lifecycle = session.lifecycle();
        Channel clientChannel = channel(client);
        lifecycle.clientUpgraded(clientChannel);
        session.opened(client, backend, hasExtension(clientChannel), hasExtension(channel(backend)));
        this.sessions.opened(session);
        SessionTimers timers = SessionTimers.start(session, this.timerWheel);
        SessionLog.clientUpgraded(session);

        // Deferred: a leg that is already gone (the backend can close before the client's upgrade completes) makes
        // Reactor Netty throw at once, and the session registered above must still end through doFinally below.
        Mono<Void> toBackend = Mono.defer(
                        () -> backend.send(relayed(client.receive(), session, timers, Direction.CLIENT_TO_BACKEND)))
                .onErrorResume(ex -> logged("client to backend", session, ex));
        Mono<Void> toClient = Mono.defer(
                        () -> client.send(relayed(backend.receive(), session, timers, Direction.BACKEND_TO_CLIENT)))
                .onErrorResume(ex -> logged("backend to client", session, ex));

        // Both connections closed is the end of the session, whatever the relay streams are doing: Reactor Netty may
        // leave a write to a connection that is already gone pending, and it must not hold the session's slot. (They
        // are not cut at the decision: a message read before a violation still goes out ahead of the close frame.)
        Disposable sends = Mono.when(toBackend, toClient).subscribe();
        return lifecycle.ended().doFinally(signal -> {
            sends.dispose();
            timers.dispose();
            SessionLifecycle.Ending ending = session.closed();
            // After the close is counted: whoever sees the gauge back at zero also sees this session's close.
            this.sessions.ended(session);
            releaseBackend.run();
            SessionLog.finished(session, ending);
        });
    }

    private Flux<WebSocketMessage> relayed(
            Flux<WebSocketMessage> inbound, ProxiedSession session, SessionTimers timers, Direction direction) {
        long maxMessageSize = session.policy().maxMessageSize(direction);
        SessionLifecycle lifecycle = session.lifecycle();
        MessageLimits limits = session.policy().messageLimits();
        MessageRateLimit rate = MessageRateLimit.of(limits, direction);
        MessageRateLimit closeOnExcess = limits.action() == MessageLimits.Action.CLOSE ? rate : null;
        // Dropped messages need no release: Reactor Netty releases each inbound frame after delivery.
        Flux<WebSocketMessage> relayed = inbound.filter(message -> {
                    if (lifecycle.isEnding() || timers.isKeepalivePong(direction, message)) {
                        return false;
                    }
                    int size = message.getPayload().readableByteCount();
                    if (size > maxMessageSize) {
                        lifecycle.close(GatewayClose.messageTooBig(direction, size, maxMessageSize));
                        return false;
                    }
                    if (closeOnExcess != null && !closeOnExcess.tryTake(size)) {
                        lifecycle.close(GatewayClose.rateLimited(direction));
                        return false;
                    }
                    return true;
                })
                // retain(): the other leg's write releases it.
                .doOnNext(message -> {
                    session.relayed(direction, message);
                    message.retain();
                });
        return rate != null && closeOnExcess == null ? throttled(relayed, rate, session, direction) : relayed;
    }

    /**
     * Holds each message back until the direction's buckets allow it. One message at a time is asked of the leg, so
     * while one waits Reactor Netty stops reading that connection: the sender meets TCP backpressure, nothing is
     * dropped, and the gateway holds at most two messages.
     */
    private Flux<WebSocketMessage> throttled(
            Flux<WebSocketMessage> relayed, MessageRateLimit rate, ProxiedSession session, Direction direction) {
        return relayed.concatMap(
                        message -> {
                            long wait = rate.reserve(message.getPayload().readableByteCount());
                            if (wait <= 0) {
                                return Mono.just(message);
                            }
                            session.meters().messageThrottled(direction);
                            // A message still held when the session ends is released here, not by the other leg.
                            return Mono.delay(Duration.ofNanos(wait), this.timerScheduler)
                                    .map(tick -> message)
                                    .doOnCancel(message::release);
                        },
                        1)
                .doOnDiscard(WebSocketMessage.class, WebSocketMessage::release);
    }

    /** Whether a WebSocket extension (permessage-deflate, the only one wsgate negotiates) runs on {@code channel}. */
    private static boolean hasExtension(Channel channel) {
        if (channel == null) {
            return false;
        }
        for (Map.Entry<String, ChannelHandler> handler : channel.pipeline()) {
            if (handler.getValue() instanceof WebSocketExtensionDecoder) {
                return true;
            }
        }
        return false;
    }

    /**
     * The Netty channel under a Reactor Netty WebSocket session. Spring keeps the connection behind a protected
     * accessor, and the session's lifecycle needs the channel itself (see {@link LegGate}).
     */
    public static Channel channel(WebSocketSession session) {
        if (!(session instanceof ReactorNettyWebSocketSession)) {
            throw new IllegalStateException("Not a Reactor Netty WebSocket session: " + session);
        }
        Object delegate = ReflectionUtils.invokeMethod(GET_DELEGATE, session);
        AtomicReference<Channel> channel = new AtomicReference<>();
        ((ReactorNettyWebSocketSession.WebSocketConnection) delegate)
                .getInbound()
                .withConnection(connection -> channel.set(connection.channel()));
        return channel.get();
    }

    private static Method delegateAccessor() {
        Method method = ReflectionUtils.findMethod(AbstractWebSocketSession.class, "getDelegate");
        if (method == null) {
            throw new IllegalStateException("AbstractWebSocketSession#getDelegate not found");
        }
        ReflectionUtils.makeAccessible(method);
        return method;
    }

    private static Mono<Void> logged(String direction, ProxiedSession session, Throwable ex) {
        if (ex instanceof AbortedException || session.lifecycle().isEnding()) {
            // A leg that is already gone or closing; how the session ends is the lifecycle's.
            logger.debug("Route {}: relay {} ended: {}", session.routeId(), direction, ex.toString());
        } else {
            logger.warn("Route {}: relay {} failed: {}", session.routeId(), direction, ex.toString());
        }
        return Mono.empty();
    }
}
