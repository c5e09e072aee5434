package io.wsgate.echo;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.TestWebSocketSession;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.web.reactive.socket.WebSocketMessage;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class EchoWebSocketHandlerTests {

    private final EchoWebSocketHandler handler = new EchoWebSocketHandler();

    @Test
    void answersTextUppercased() {
        TestWebSocketSession session = session(Flux.just(text("hello, martian!!!!"), text("second")));
        StepVerifier.create(this.handler.handle(session)).expectComplete().verify(TIMEOUT);

        StepVerifier.create(session.sent().map(WebSocketMessage::getPayloadAsText))
                .expectNext("HELLO, MARTIAN!!!!", "SECOND")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void uppercasesTheSameWayWhateverTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            TestWebSocketSession session = session(Flux.just(text("istanbul straße")));
            StepVerifier.create(this.handler.handle(session)).expectComplete().verify(TIMEOUT);
            // Locale.ROOT: a Turkish default would give "İSTANBUL".
            StepVerifier.create(session.sent().map(WebSocketMessage::getPayloadAsText))
                    .expectNext("ISTANBUL STRASSE")
                    .expectComplete()
                    .verify(TIMEOUT);
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void answersBinaryWithTheSameBytes() {
        byte[] bytes = {0, 1, 2, (byte) 0xFF, 'a'};
        TestWebSocketSession session = session(Flux.just(binary(bytes)));
        StepVerifier.create(this.handler.handle(session)).expectComplete().verify(TIMEOUT);

        StepVerifier.create(session.sent())
                .assertNext(reply -> {
                    assertThat(reply.getType()).isEqualTo(WebSocketMessage.Type.BINARY);
                    DataBuffer payload = reply.getPayload();
                    byte[] echoed = new byte[payload.readableByteCount()];
                    payload.read(echoed);
                    assertThat(echoed).containsExactly(bytes);
                })
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void leavesPingsAndPongsToTheServer() {
        TestWebSocketSession session = session(
                Flux.just(control(WebSocketMessage.Type.PING), control(WebSocketMessage.Type.PONG), text("after")));
        StepVerifier.create(this.handler.handle(session)).expectComplete().verify(TIMEOUT);

        StepVerifier.create(session.sent().map(WebSocketMessage::getPayloadAsText))
                .expectNext("AFTER")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void readsOnlyAsFastAsTheClientTakesReplies() {
        AtomicLong requested = new AtomicLong();
        Flux<WebSocketMessage> endless = Flux.<WebSocketMessage, Long>generate(() -> 0L, (i, sink) -> {
                    sink.next(text("message " + i));
                    return i + 1;
                })
                .doOnRequest(n -> requested.addAndGet(n));
        TestWebSocketSession session = session(endless);
        StepVerifier.create(this.handler.handle(session)).expectComplete().verify(TIMEOUT);

        StepVerifier.create(session.sent().map(WebSocketMessage::getPayloadAsText), 0)
                .thenRequest(2)
                .expectNext("MESSAGE 0", "MESSAGE 1")
                .then(() -> assertThat(requested.get()).isEqualTo(2))
                .thenRequest(1)
                .expectNext("MESSAGE 2")
                .then(() -> assertThat(requested.get()).isEqualTo(3))
                .thenCancel()
                .verify(TIMEOUT);
    }

    private static TestWebSocketSession session(Flux<WebSocketMessage> inbound) {
        return new TestWebSocketSession(inbound);
    }

    private static WebSocketMessage text(String text) {
        return new WebSocketMessage(
                WebSocketMessage.Type.TEXT,
                DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static WebSocketMessage binary(byte[] bytes) {
        return new WebSocketMessage(WebSocketMessage.Type.BINARY, DefaultDataBufferFactory.sharedInstance.wrap(bytes));
    }

    private static WebSocketMessage control(WebSocketMessage.Type type) {
        return new WebSocketMessage(type, DefaultDataBufferFactory.sharedInstance.wrap(new byte[] {1}));
    }
}
