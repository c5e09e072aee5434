package io.wsgate.proxy;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.channel.AbortedException;

/**
 * Relays messages both ways between an upgraded client and its backend, and the close of either leg to the
 * other. Backpressure is end to end: each leg reads only as fast as the other leg writes.
 */
class WebSocketRelay {

    private static final Logger logger = LoggerFactory.getLogger(WebSocketRelay.class);

    /** Completes when both legs are closed. */
    Mono<Void> relay(WebSocketSession client, BackendConnection backendConnection) {
        WebSocketSession backend = backendConnection.session();
        // Whichever leg closes first decides the status; the other leg's reply to that close is not relayed back.
        AtomicBoolean closing = new AtomicBoolean();
        Runnable clientGone = () -> {
            if (closing.compareAndSet(false, true)) {
                backendConnection.close(CloseCodes.CLIENT_LOST).subscribe();
            }
        };
        Runnable backendGone = () -> {
            if (closing.compareAndSet(false, true)) {
                closeClient(client, CloseCodes.BACKEND_LOST).subscribe();
            }
        };

        // A leg whose write side dies cancels the other leg's receive(); Reactor Netty answers that cancel with
        // an empty close frame (1005). doOnCancel runs first and sends the meaningful code instead.
        Mono<Void> toBackend = backend.send(relayed(client.receive(), backendGone))
                .onErrorResume(ex -> logged("client to backend", client, ex));
        Mono<Void> toClient = client.send(relayed(backend.receive(), clientGone))
                .onErrorResume(ex -> logged("backend to client", client, ex));

        Mono<Void> clientClosed = closeStatus(client)
                .flatMap(status -> closing.compareAndSet(false, true)
                        ? backendConnection.close(CloseCodes.relayed(status.orElse(null), CloseCodes.CLIENT_LOST))
                        : Mono.empty());
        Mono<Void> backendClosed = closeStatus(backend)
                .flatMap(status -> closing.compareAndSet(false, true)
                        ? closeClient(client, CloseCodes.relayed(status.orElse(null), CloseCodes.BACKEND_LOST))
                        : Mono.empty());

        return Mono.when(toBackend, toClient, clientClosed, backendClosed)
                .doFinally(signal -> backendConnection.release());
    }

    private static Flux<WebSocketMessage> relayed(Flux<WebSocketMessage> inbound, Runnable onCancel) {
        // retain(): Reactor Netty releases each inbound frame after delivery; the other leg's write releases ours.
        return inbound.doOnNext(WebSocketMessage::retain).doOnCancel(onCancel);
    }

    private static Mono<Optional<CloseStatus>> closeStatus(WebSocketSession session) {
        return session.closeStatus().map(Optional::of).defaultIfEmpty(Optional.empty());
    }

    private static Mono<Void> closeClient(WebSocketSession client, CloseStatus status) {
        return client.isOpen() ? client.close(status).onErrorComplete() : Mono.empty();
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
