package io.wsgate.proxy;

import io.netty.channel.Channel;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.util.context.Context;

/**
 * Opens the backend leg of a proxied session and emits it once the backend has answered 101, so the
 * caller can decide how to answer the client only after the backend did.
 */
class BackendConnector {

    /** Reactor context key: where the client's request hook leaves the backend connection's channel. */
    private static final String CHANNEL = BackendConnector.class.getName() + ".channel";

    private final WebSocketClient client;

    private final Duration handshakeTimeout;

    BackendConnector(WebSocketClient client, Duration handshakeTimeout) {
        this.client = recordingChannel(client);
        this.handshakeTimeout = handshakeTimeout;
    }

    /**
     * Connects to {@code uri}, offering {@code protocols}. Errors with the client's exception for a refused
     * handshake or an unreachable backend, and with a {@link java.util.concurrent.TimeoutException} when the
     * backend has not answered within the handshake timeout.
     */
    Mono<BackendConnection> connect(URI uri, HttpHeaders headers, List<String> protocols) {
        Mono<BackendConnection> handshake = Mono.create(sink -> {
            Sinks.Empty<Void> released = Sinks.empty();
            AtomicReference<Channel> channel = new AtomicReference<>();
            WebSocketHandler handler = new WebSocketHandler() {
                @Override
                public List<String> getSubProtocols() {
                    return protocols;
                }

                @Override
                public Mono<Void> handle(WebSocketSession session) {
                    BackendConnection connection = new BackendConnection(session, released, channel.get());
                    sink.success(connection);
                    return released.asMono();
                }
            };
            // The caller's context reaches the client (PerMessageDeflate reads the backend leg's limit from it).
            Disposable execution = this.client
                    .execute(uri, headers, handler)
                    .contextWrite(sink.contextView())
                    .contextWrite(Context.of(CHANNEL, channel))
                    .subscribe(null, sink::error);
            // Only before the connection is handed over: afterwards its holder releases it.
            sink.onCancel(execution);
        });
        return handshake
                // A backend that answers just as the timeout fires must not be left open.
                .doOnDiscard(
                        BackendConnection.class,
                        connection -> connection.close(CloseStatus.GOING_AWAY).subscribe())
                .timeout(this.handshakeTimeout);
    }

    /**
     * The client with a hook that hands each connection's channel to its {@link #connect} (Spring's session does
     * not expose it), for the backend's frame check.
     */
    @SuppressWarnings("unchecked")
    private static WebSocketClient recordingChannel(WebSocketClient client) {
        if (!(client instanceof ReactorNettyWebSocketClient reactorClient)) {
            return client;
        }
        // The same spec as the gateway's (Spring Cloud Gateway sets these two).
        WebsocketClientSpec spec = reactorClient.getWebsocketClientSpec();
        return new ReactorNettyWebSocketClient(
                reactorClient
                        .getHttpClient()
                        .doOnRequest((request, connection) -> request.currentContextView()
                                .getOrEmpty(CHANNEL)
                                .ifPresent(holder -> ((AtomicReference<Channel>) holder).set(connection.channel()))),
                () -> WebsocketClientSpec.builder()
                        .maxFramePayloadLength(spec.maxFramePayloadLength())
                        .handlePing(spec.handlePing()));
    }
}
