package io.wsgate.proxy;

import io.wsgate.metrics.ClosedBy;
import io.wsgate.metrics.Direction;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.channel.AbortedException;

/**
 * Relays messages both ways between an upgraded client and its backend, and the close of either leg to the
 * other. Backpressure is end to end: each leg reads only as fast as the other leg writes.
 */
class WebSocketRelay {

    private static final Logger logger = LoggerFactory.getLogger(WebSocketRelay.class);

    private static final Duration SEND_GRACE = Duration.ofSeconds(5);

    private final OpenSessions openSessions;

    private final Scheduler timerScheduler;

    WebSocketRelay(OpenSessions openSessions, Scheduler timerScheduler) {
        this.openSessions = openSessions;
        this.timerScheduler = timerScheduler;
    }

    /** Completes when both legs are closed. */
    Mono<Void> relay(WebSocketSession client, BackendConnection backendConnection, ProxiedSession session) {
        WebSocketSession backend = backendConnection.session();
        session.opened(client, backendConnection);
        this.openSessions.add(session);
        SessionTimers timers = SessionTimers.start(session, this.timerScheduler);
        SessionLog.clientUpgraded(session);

        // A leg whose write side dies cancels the other leg's receive(); Reactor Netty answers that cancel with
        // an empty close frame (1005). doOnCancel runs first and sends the meaningful code instead.
        // After a gateway close the same holds: the leg whose close may not be written yet gets the gateway's code.
        Runnable clientGone = () -> {
            if (session.claimFirstClose(ClosedBy.CLIENT, null)) {
                backendConnection.close(CloseCodes.CLIENT_LOST).subscribe();
            } else if (session.gatewayClose() != null) {
                backendConnection.close(session.gatewayClose().toBackend()).subscribe();
            }
        };
        Runnable backendGone = () -> {
            if (session.claimFirstClose(ClosedBy.BACKEND, null)) {
                closeClient(client, session, CloseCodes.BACKEND_LOST).subscribe();
            } else if (session.gatewayClose() != null) {
                closeClient(client, session, session.gatewayClose().toClient()).subscribe();
            }
        };
        Mono<Void> toBackend = backend.send(relayed(client.receive(), session, timers, Direction.CLIENT_TO_BACKEND)
                        .doOnCancel(backendGone))
                .onErrorResume(ex -> logged("client to backend", client, ex));
        Mono<Void> toClient = client.send(relayed(backend.receive(), session, timers, Direction.BACKEND_TO_CLIENT)
                        .doOnCancel(clientGone))
                .onErrorResume(ex -> logged("backend to client", client, ex));

        // Whichever leg closes first decides the status; the other leg's reply to that close is not relayed back.
        Mono<Void> clientClosed = closeStatus(client).flatMap(status -> {
            if (!session.claimFirstClose(ClosedBy.CLIENT, status.orElse(null))) {
                return Mono.empty();
            }
            CloseStatus relayed = CloseCodes.relayed(status.orElse(null), CloseCodes.CLIENT_LOST);
            SessionLog.closeRelayed(session, "client", code(status), relayed.getCode());
            return backendConnection.close(relayed);
        });
        Mono<Void> backendClosed = closeStatus(backend).flatMap(status -> {
            if (!session.claimFirstClose(ClosedBy.BACKEND, status.orElse(null))) {
                return Mono.empty();
            }
            CloseStatus relayed = CloseCodes.relayed(status.orElse(null), CloseCodes.BACKEND_LOST);
            SessionLog.closeRelayed(session, "backend", code(status), relayed.getCode());
            return closeClient(client, session, relayed);
        });

        // Both legs closed is the end of the session. The sends normally end with them; should one not (a write
        // to a connection that is already gone), it is not allowed to hold the session open.
        Mono<Void> bothClosed = Mono.when(clientClosed, backendClosed).cache();
        Mono<Void> sends = Mono.when(toBackend, toClient);
        Mono<Void> sendsOrGrace = sends.or(bothClosed
                .then(Mono.delay(SEND_GRACE))
                .then(Mono.fromRunnable(() ->
                        logger.debug("Route {}: relay writes outlived both legs' close; ended", session.routeId()))));
        return Mono.when(bothClosed, sendsOrGrace).doFinally(signal -> {
            timers.dispose();
            this.openSessions.remove(session);
            backendConnection.release();
            SessionLog.finished(session, session.closed());
        });
    }

    private static Flux<WebSocketMessage> relayed(
            Flux<WebSocketMessage> inbound, ProxiedSession session, SessionTimers timers, Direction direction) {
        long maxMessageSize = session.policy().maxMessageSize(direction);
        // Dropped messages need no release: Reactor Netty releases each inbound frame after delivery.
        return inbound.filter(message -> {
                    if (session.closedByGateway() || timers.isKeepalivePong(direction, message)) {
                        return false;
                    }
                    int size = message.getPayload().readableByteCount();
                    if (size > maxMessageSize) {
                        session.closeByGateway(GatewayClose.messageTooBig(direction, size, maxMessageSize))
                                .subscribe();
                        return false;
                    }
                    return true;
                })
                // retain(): the other leg's write releases it.
                .doOnNext(message -> {
                    session.relayed(direction, message);
                    message.retain();
                });
    }

    private static int code(Optional<CloseStatus> status) {
        return status.map(CloseStatus::getCode).orElse(CloseStatus.NO_CLOSE_FRAME.getCode());
    }

    private static Mono<Optional<CloseStatus>> closeStatus(WebSocketSession session) {
        return session.closeStatus().map(Optional::of).defaultIfEmpty(Optional.empty());
    }

    private static Mono<Void> closeClient(WebSocketSession client, ProxiedSession session, CloseStatus status) {
        return ClientLegClose.close(client, session.clientChannel(), status).onErrorComplete();
    }

    private static Mono<Void> logged(String direction, WebSocketSession client, Throwable ex) {
        if (ex instanceof AbortedException) {
            // The receiving leg was already gone; its close is relayed on the close path.
            logger.debug("Relay {} ended for session {}: {}", direction, client.getId(), ex.toString());
        } else {
            logger.warn("Relay {} failed for session {}: {}", direction, client.getId(), ex.toString());
        }
        return Mono.empty();
    }
}
