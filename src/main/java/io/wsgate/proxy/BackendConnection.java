package io.wsgate.proxy;

import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Sinks;

/**
 * An open WebSocket session to a backend, handed over before any client is upgraded. Whoever holds it must
 * {@link #release()} it: the underlying client keeps the connection until then.
 */
final class BackendConnection {

    private final WebSocketSession session;

    private final Sinks.Empty<Void> released;

    BackendConnection(WebSocketSession session, Sinks.Empty<Void> released) {
        this.session = session;
        this.released = released;
    }

    WebSocketSession session() {
        return this.session;
    }

    void release() {
        this.released.tryEmitEmpty();
    }
}
