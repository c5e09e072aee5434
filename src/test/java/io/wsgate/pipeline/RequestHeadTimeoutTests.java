package io.wsgate.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.vocabulary.RejectionReason;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link RequestHeadTimeout} behind Netty's HTTP server codec, as Reactor Netty's pipeline has it, on the channel's
 * own clock: time only moves when the test moves it.
 */
class RequestHeadTimeoutTests {

    private static final long TIMEOUT_MILLIS = 1000;

    private static final String HEAD = "GET /ws/echo HTTP/1.1\r\nHost: gateway\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void releaseAll() {
        this.channel.finishAndReleaseAll();
    }

    @Test
    void answersAHeadNotCompleteWithinTheTimeoutWith408AndCloses() {
        connect(new HttpServerCodec());
        send("GET /ws/echo HTTP/1.1\r\nHost: gateway\r\n");

        advance(TIMEOUT_MILLIS - 1);
        assertThat((Object) this.channel.readOutbound()).isNull();
        assertThat(this.channel.isOpen()).isTrue();

        advance(1);
        assertThat(written()).startsWith("HTTP/1.1 408 Request Timeout\r\n").contains("connection: close\r\n");
        assertThat(this.channel.isOpen()).isFalse();
        assertThat(rejected(RejectionReason.HEADER_TIMEOUT, 408)).isEqualTo(1);
        // The head the 408 cut short is not also a refused request.
        assertThat(rejected(RejectionReason.BAD_REQUEST, 400)).isZero();
    }

    @Test
    void answersAConnectionThatSendsNothingWith408() {
        connect(new HttpServerCodec());

        advance(TIMEOUT_MILLIS);

        assertThat(written()).startsWith("HTTP/1.1 408 ");
        assertThat(this.channel.isOpen()).isFalse();
        assertThat(rejected(RejectionReason.HEADER_TIMEOUT, 408)).isEqualTo(1);
    }

    @Test
    void aHeadTrickledByteByByteDoesNotRestartTheTimeout() {
        connect(new HttpServerCodec());
        byte[] head = HEAD.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 9; i++) {
            send(new String(head, i, 1, StandardCharsets.US_ASCII));
            advance(TIMEOUT_MILLIS / 10);
        }
        assertThat(this.channel.isOpen()).isTrue();

        send(new String(head, 9, 1, StandardCharsets.US_ASCII));
        advance(TIMEOUT_MILLIS / 10);

        assertThat(written()).startsWith("HTTP/1.1 408 ");
        assertThat(this.channel.isOpen()).isFalse();
    }

    @Test
    void aHeadCompletedInSeveralChunksInTimeCancelsTheTimer() {
        connect(new HttpServerCodec());
        send(HEAD.substring(0, 10));
        advance(400);
        send(HEAD.substring(10, 60));
        advance(400);
        send(HEAD.substring(60));

        HttpRequest request = this.channel.readInbound();
        assertThat(request.uri()).isEqualTo("/ws/echo");
        ReferenceCountUtil.release(request);
        advance(10 * TIMEOUT_MILLIS);

        assertThat((Object) this.channel.readOutbound()).isNull();
        assertThat(this.channel.isOpen()).isTrue();
        assertThat(rejected(RejectionReason.HEADER_TIMEOUT, 408)).isZero();
    }

    @Test
    void leavesThePipelineWhenTheConnectionIsUpgraded() {
        connect(new HttpServerCodec());
        send(HEAD);
        ReferenceCountUtil.release(this.channel.readInbound());

        this.channel.writeOutbound(
                new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));

        assertThat(this.channel.pipeline().get(RequestHeadTimeout.NAME)).isNull();
        assertThat(written()).startsWith("HTTP/1.1 101 ");
        advance(10 * TIMEOUT_MILLIS);
        assertThat((Object) this.channel.readOutbound()).isNull();
        assertThat(this.channel.isOpen()).isTrue();
    }

    @Test
    void closesAKeepAliveConnectionQuietlyWhenTheNextHeadDoesNotCome() {
        connect(new HttpServerCodec());
        send("GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n");
        ReferenceCountUtil.release(this.channel.readInbound());
        ReferenceCountUtil.release(this.channel.readInbound());
        advance(TIMEOUT_MILLIS - 1);

        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        this.channel.writeOutbound(response);
        assertThat(written()).startsWith("HTTP/1.1 200 ");

        // The next head has its own timeout, from the end of the response.
        advance(TIMEOUT_MILLIS - 1);
        assertThat(this.channel.isOpen()).isTrue();
        advance(1);
        assertThat(this.channel.isOpen()).isFalse();
        assertThat((Object) this.channel.readOutbound()).isNull();
        assertThat(rejected(RejectionReason.HEADER_TIMEOUT, 408)).isZero();
    }

    @ParameterizedTest
    @CsvSource({
        "'GET /ws/echo FOO/1.1\r\nHost: gateway\r\n\r\n', 400",
        "'GET /ws/echo/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n', 414",
        "'GET /ws/echo HTTP/1.1\r\nHost: gateway\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n', 431"
    })
    void countsARequestTheHttpServerRefusesBeforeAnyRoute(String request, int status) {
        connect(new HttpServerCodec(64, 64, 8192));
        send(request);

        assertThat(rejected(RejectionReason.BAD_REQUEST, status)).isEqualTo(1);
        assertThat(rejected(RejectionReason.HEADER_TIMEOUT, 408)).isZero();
        // Reactor Netty answers it; the timer no longer runs.
        advance(10 * TIMEOUT_MILLIS);
        assertThat((Object) this.channel.readOutbound()).isNull();
    }

    /** The connection as Reactor Netty has it: the timeout right after the HTTP codec, armed on a frozen clock. */
    private void connect(HttpServerCodec codec) {
        this.channel.freezeTime();
        this.channel.pipeline().addLast("reactor.left.httpCodec", codec);
        this.channel
                .pipeline()
                .addLast(
                        RequestHeadTimeout.NAME,
                        new RequestHeadTimeout(TIMEOUT_MILLIS, new WebSocketMetrics(this.registry, route -> 0)));
    }

    private void send(String bytes) {
        this.channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }

    private void advance(long millis) {
        this.channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        this.channel.runPendingTasks();
    }

    private String written() {
        StringBuilder text = new StringBuilder();
        for (ByteBuf part = this.channel.readOutbound(); part != null; part = this.channel.readOutbound()) {
            text.append(part.toString(StandardCharsets.US_ASCII));
            part.release();
        }
        return text.toString();
    }

    private double rejected(RejectionReason reason, int status) {
        Counter counter = this.registry
                .find(WsgateMeterNames.HANDSHAKES_REJECTED)
                .tags(
                        WsgateMeterNames.TAG_ROUTE,
                        WebSocketMetrics.NO_ROUTE,
                        WsgateMeterNames.TAG_REASON,
                        reason.tag(),
                        WsgateMeterNames.TAG_STATUS,
                        Integer.toString(status))
                .counter();
        return counter != null ? counter.count() : 0;
    }
}
