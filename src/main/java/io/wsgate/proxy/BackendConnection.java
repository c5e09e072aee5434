package io.wsgate.proxy;

import io.netty.channel.Channel;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * An open WebSocket session to a backend, handed over before any client is upgraded. Whoever holds it must
 * {@link #release()} it: the underlying client keeps the connection until then.
 */
final class BackendConnection {

    private final WebSocketSession session;

    private final Sinks.Empty<Void> released;

    private final Channel channel;

    BackendConnection(WebSocketSession session, Sinks.Empty<Void> released, Channel channel) {
        this.session = session;
        this.released = released;
        this.channel = channel;
    }

    WebSocketSession session() {
        return this.session;
    }

    /** The backend leg's Netty channel, or {@code null} when the WebSocket client is not Reactor Netty's. */
    Channel channel() {
        return this.channel;
    }

    /** Closes the backend leg with the given status unless it is closed already, then lets the client go. */
    Mono<Void> close(CloseStatus status) {
        Mono<Void> close = this.session.isOpen() ? this.session.close(status) : Mono.empty();
        return close.onErrorComplete().doFinally(signal -> release());
    }

    void release() {
        this.released.tryEmitEmpty();
    }
}
