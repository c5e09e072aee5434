package io.wsgate.proxy;

import io.netty.channel.Channel;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Sinks;

/**
 * An open WebSocket session to a backend, handed over before any client is upgraded. Whoever holds it must
 * {@link #release()} it: the underlying client keeps the connection until then.
 */
final class BackendConnection {

    private final WebSocketSession session;

    private final String subProtocol;

    private final Sinks.Empty<Void> released;

    private final Channel channel;

    BackendConnection(WebSocketSession session, String subProtocol, Sinks.Empty<Void> released, Channel channel) {
        this.session = session;
        this.subProtocol = subProtocol;
        this.released = released;
        this.channel = channel;
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

    /** The backend leg's Netty channel, or {@code null} when the WebSocket client is not Reactor Netty's. */
    Channel channel() {
        return this.channel;
    }

    void release() {
        this.released.tryEmitEmpty();
    }
}
