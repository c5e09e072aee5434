package io.wsgate.proxy;

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

    private final String subProtocol;

    private final Sinks.Empty<Void> released;

    BackendConnection(WebSocketSession session, String subProtocol, Sinks.Empty<Void> released) {
        this.session = session;
        this.subProtocol = subProtocol;
        this.released = released;
    }

    WebSocketSession session() {
        return this.session;
    }

    /**
     * The subprotocol the backend selected, {@code null} for none. Read this, not the session's handshake info,
     * which names the first offered protocol when the backend selected none (see {@link BackendSubprotocol}).
     */
    String subProtocol() {
        return this.subProtocol;
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
