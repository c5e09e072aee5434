package io.wsgate.support;

import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.adapter.AbstractWebSocketSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A session without a network for handler unit tests: {@link #receive()} plays the given inbound messages, and
 * what the handler sends is exposed as {@link #sent()} for a {@code StepVerifier}, which decides the demand.
 */
public final class TestWebSocketSession extends AbstractWebSocketSession<Object> {

    private final Flux<WebSocketMessage> inbound;

    private final AtomicReference<Flux<WebSocketMessage>> outbound = new AtomicReference<>();

    public TestWebSocketSession(Flux<WebSocketMessage> inbound) {
        super(new Object(), "test", handshakeInfo(), DefaultDataBufferFactory.sharedInstance);
        this.inbound = inbound;
    }

    private static HandshakeInfo handshakeInfo() {
        return new HandshakeInfo(URI.create("ws://localhost/echo"), new HttpHeaders(), Mono.empty(), null);
    }

    @Override
    public Flux<WebSocketMessage> receive() {
        return this.inbound;
    }

    /** Records the outbound publisher; the handler's {@code send} completes when it is consumed. */
    @Override
    public Mono<Void> send(Publisher<WebSocketMessage> messages) {
        this.outbound.set(Flux.from(messages));
        return Mono.empty();
    }

    /** What the handler sent, subscribed by the test. */
    public Flux<WebSocketMessage> sent() {
        return this.outbound.get();
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public Mono<Void> close(CloseStatus status) {
        return Mono.empty();
    }

    @Override
    public Mono<CloseStatus> closeStatus() {
        return Mono.empty();
    }
}
