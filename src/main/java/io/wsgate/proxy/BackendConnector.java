package io.wsgate.proxy;

import io.netty.channel.Channel;
import io.wsgate.session.SessionLifecycle;
import io.wsgate.session.WebSocketRelay;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * Opens the backend leg of a proxied session and emits it once the backend has answered 101, so the
 * caller can decide how to answer the client only after the backend did.
 */
class BackendConnector {

    private final WebSocketClient client;

    private final Duration handshakeTimeout;

    /** Backend legs go through a twin of {@code client} that lets the backend select no subprotocol. */
    BackendConnector(WebSocketClient client, Duration handshakeTimeout) {
        this.client = BackendSubprotocol.acceptingNone(client);
        this.handshakeTimeout = handshakeTimeout;
    }

    /**
     * Connects to {@code uri}, offering {@code protocols}; the backend may select one of them or none. Errors with the client's exception for a refused
     * handshake or an unreachable backend, and with a {@link java.util.concurrent.TimeoutException} when the
     * backend has not answered within the handshake timeout.
     */
    Mono<BackendConnection> connect(URI uri, HttpHeaders headers, List<String> protocols, SessionLifecycle lifecycle) {
        Mono<BackendConnection> handshake = Mono.create(sink -> {
            Sinks.Empty<Void> released = Sinks.empty();
            BackendSubprotocol subprotocol = new BackendSubprotocol(protocols);
            // Let go once the connection is handed over: the handler lives as long as the session, and the sink
            // holds the whole handshake (the exchange, its filter chain, its observations).
            AtomicReference<MonoSink<BackendConnection>> handover = new AtomicReference<>(sink);
            WebSocketHandler handler = new WebSocketHandler() {
                @Override
                public List<String> getSubProtocols() {
                    return protocols;
                }

                @Override
                public Mono<Void> handle(WebSocketSession session) {
                    Channel channel = WebSocketRelay.channel(session);
                    lifecycle.backendOpened(channel);
                    BackendConnection connection = new BackendConnection(
                            session, subprotocol.selected(session.getHandshakeInfo()), released, channel);
                    MonoSink<BackendConnection> waiting = handover.getAndSet(null);
                    if (waiting != null) {
                        waiting.success(connection);
                    }
                    return released.asMono();
                }
            };
            // Of the caller's context only the backend leg's limit (PerMessageDeflate reads it): this subscription
            // lasts as long as the session, and the handshake's context holds the exchange and its observation.
            Disposable execution = this.client
                    .execute(uri, headers, handler)
                    .contextWrite(subprotocol::addTo)
                    .contextWrite(PerMessageDeflate.backendLimitOf(sink.contextView()))
                    .subscribe(null, ex -> {
                        MonoSink<BackendConnection> waiting = handover.getAndSet(null);
                        if (waiting != null) {
                            waiting.error(ex);
                        }
                    });
            // Only before the connection is handed over: afterwards its holder releases it.
            sink.onCancel(execution);
        });
        return handshake
                // A backend that answers just as the timeout fires must not be left open.
                .doOnDiscard(BackendConnection.class, connection -> {
                    lifecycle.clientNeverUpgraded();
                    connection.release();
                })
                .timeout(this.handshakeTimeout);
    }
}
