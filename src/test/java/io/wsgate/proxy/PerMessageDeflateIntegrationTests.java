package io.wsgate.proxy;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * permessage-deflate through a real gateway, leg by leg: what the gateway answers a client's offer (raw
 * handshakes), what it offers each backend (two Reactor Netty echo backends, one accepting compression and one
 * not), and that messages come back byte for byte whichever legs compress. The global default is on here, so the
 * routes show both the default and a per-route {@code compression: false}.
 */
@GatewayTest(properties = "wsgate.proxy.compression=true")
class PerMessageDeflateIntegrationTests {

    private static final String EXTENSIONS = "Sec-WebSocket-Extensions";

    private static final int MAX_MESSAGE = 1 << 20;

    private static FrameEchoBackend compressingBackend;

    private static FrameEchoBackend plainBackend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        compressingBackend = FrameEchoBackend.start(true);
        plainBackend = FrameEchoBackend.start(false);
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("both-legs", "ws://127.0.0.1:" + compressingBackend.port(), "/both-legs/**");
        routes.add("client-leg-only", "ws://127.0.0.1:" + plainBackend.port(), "/client-leg-only/**");
        routes.add("off", "ws://127.0.0.1:" + compressingBackend.port(), "/off/**")
                .metadata("compression", "false");
    }

    @AfterAll
    static void stopBackends() {
        compressingBackend.close();
        plainBackend.close();
    }

    @BeforeEach
    void forgetEarlierHandshakes() {
        compressingBackend.clear();
        plainBackend.clear();
    }

    @Test
    void routeWithCompressionNegotiatesItWithTheClientAndOffersItToTheBackend() throws Exception {
        RawHttp.Response response = handshakeOfferingDeflate("/both-legs/");

        assertThat(response.status()).isEqualTo(101);
        assertThat(response.header(EXTENSIONS)).startsWith("permessage-deflate");
        assertThat(compressingBackend.nextOffer()).contains("permessage-deflate");
    }

    @Test
    void backendLegNegotiatesOnItsOwn() throws Exception {
        // The backend declines (it does not compress); the client leg still compresses.
        RawHttp.Response response = handshakeOfferingDeflate("/client-leg-only/");

        assertThat(response.status()).isEqualTo(101);
        assertThat(response.header(EXTENSIONS)).startsWith("permessage-deflate");
        assertThat(plainBackend.nextOffer()).contains("permessage-deflate");
    }

    @Test
    void deflateFrameIsNeitherAcceptedNorOffered() throws Exception {
        // The pre-RFC deflate-frame extensions have no allocation limit of ours; only permessage-deflate is spoken.
        for (String extension : List.of("deflate-frame", "x-webkit-deflate-frame")) {
            List<String> request = new ArrayList<>(Arrays.asList(RawHttp.upgradeRequest("/both-legs/")));
            request.add(EXTENSIONS + ": " + extension);
            RawHttp.Response response = RawHttp.exchange(this.port, request.toArray(String[]::new));

            assertThat(response.status()).isEqualTo(101);
            assertThat(response.header(EXTENSIONS)).isNull();
            assertThat(compressingBackend.nextOffer())
                    .startsWith("permessage-deflate")
                    .doesNotContain("deflate-frame");
        }
    }

    @Test
    void routeWithCompressionOffNeitherAcceptsNorOffersIt() throws Exception {
        RawHttp.Response response = handshakeOfferingDeflate("/off/");

        assertThat(response.status()).isEqualTo(101);
        assertThat(response.header(EXTENSIONS)).isNull();
        // The client's offer is not passed on either: the backend leg is negotiated by the gateway alone.
        assertThat(compressingBackend.nextOffer()).isEmpty();
    }

    @Test
    void clientThatDoesNotOfferCompressionGetsPlainFramesOnACompressingRoute() throws Exception {
        RawHttp.Response response = RawHttp.exchange(this.port, RawHttp.upgradeRequest("/both-legs/"));

        assertThat(response.status()).isEqualTo(101);
        assertThat(response.header(EXTENSIONS)).isNull();
        assertThat(compressingBackend.nextOffer()).contains("permessage-deflate");
    }

    @Test
    void messagesArriveExactlyWhenBothLegsCompress() throws Exception {
        assertRelayedExactly("/both-legs/", true);
        assertThat(compressingBackend.nextAnswer()).isEqualTo("permessage-deflate");
    }

    @Test
    void messagesArriveExactlyWhenOnlyTheClientLegCompresses() throws Exception {
        assertRelayedExactly("/client-leg-only/", true);
        assertThat(plainBackend.nextAnswer()).isEmpty();
    }

    @Test
    void messagesArriveExactlyWhenOnlyTheBackendLegCompresses() throws Exception {
        // The client offers nothing; the gateway still offers compression to the backend, which accepts it.
        assertRelayedExactly("/both-legs/", false);
        assertThat(compressingBackend.nextAnswer()).isEqualTo("permessage-deflate");
    }

    @Test
    void messagesArriveExactlyWhenNeitherLegCompresses() throws Exception {
        assertRelayedExactly("/off/", true);
        assertThat(compressingBackend.nextAnswer()).isEmpty();
    }

    private RawHttp.Response handshakeOfferingDeflate(String path) throws IOException {
        List<String> request = new ArrayList<>(Arrays.asList(RawHttp.upgradeRequest(path)));
        request.add(EXTENSIONS + ": permessage-deflate; client_max_window_bits");
        return RawHttp.exchange(this.port, request.toArray(String[]::new));
    }

    /** Sends compressible text, random binary and a large text message, and checks the echoes byte for byte. */
    private void assertRelayedExactly(String path, boolean clientCompresses) {
        Random random = new Random(7);
        List<WebSocketFrame> messages = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            messages.add(new TextWebSocketFrame("message " + i + " " + "abc".repeat(i * 20)));
            byte[] bytes = new byte[1 + random.nextInt(4096)];
            random.nextBytes(bytes);
            messages.add(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
        }
        messages.add(new TextWebSocketFrame("large ".repeat(100_000)));
        List<String> expected = messages.stream()
                .map(PerMessageDeflateIntegrationTests::describe)
                .toList();

        AtomicReference<String> negotiated = new AtomicReference<>();
        List<String> echoed = HttpClient.create()
                .websocket(WebsocketClientSpec.builder()
                        .compress(clientCompresses)
                        .maxFramePayloadLength(MAX_MESSAGE)
                        .build())
                .uri("ws://127.0.0.1:" + this.port + path)
                .handle((in, out) -> {
                    negotiated.set(in.headers().get(EXTENSIONS));
                    Flux<String> replies = in.aggregateFrames(MAX_MESSAGE)
                            .receiveFrames()
                            .map(PerMessageDeflateIntegrationTests::describe)
                            .take(messages.size());
                    return Flux.merge(
                                    out.sendObject(Flux.fromIterable(messages))
                                            .then()
                                            .thenMany(Flux.empty()),
                                    replies)
                            .concatWith(out.sendClose(1000, "done").then().thenMany(Flux.empty()));
                })
                .collectList()
                .block(TIMEOUT);

        assertThat(echoed).containsExactlyElementsOf(expected);
        if (clientCompresses && !path.equals("/off/")) {
            assertThat(negotiated.get()).startsWith("permessage-deflate");
        } else {
            assertThat(negotiated.get()).isNull();
        }
    }

    /** A frame as type and hex payload (comparable after the frame is released). */
    private static String describe(WebSocketFrame frame) {
        return frame.getClass().getSimpleName() + ":" + ByteBufUtil.hexDump(frame.content());
    }

    /**
     * A Reactor Netty WebSocket server on a random port that echoes every message as is (frames unchanged, not
     * uppercased) and records each handshake's offered and answered extensions.
     */
    private static final class FrameEchoBackend implements AutoCloseable {

        private final BlockingQueue<String> offers = new LinkedBlockingQueue<>();

        private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

        private DisposableServer server;

        static FrameEchoBackend start(boolean compress) {
            FrameEchoBackend backend = new FrameEchoBackend();
            WebsocketServerSpec spec = WebsocketServerSpec.builder()
                    .compress(compress)
                    .maxFramePayloadLength(MAX_MESSAGE)
                    .build();
            backend.server = HttpServer.create()
                    .host("127.0.0.1")
                    .port(0)
                    .route(routes -> routes.ws(
                            "/",
                            (in, out) -> {
                                backend.offers.add(valueOrEmpty(in.headers().get(EXTENSIONS)));
                                AtomicBoolean first = new AtomicBoolean(true);
                                return out.sendObject(in.aggregateFrames(MAX_MESSAGE)
                                        .receiveFrames()
                                        .filter(frame -> frame instanceof TextWebSocketFrame
                                                || frame instanceof BinaryWebSocketFrame)
                                        .doOnNext(frame -> {
                                            if (first.getAndSet(false)) {
                                                in.withConnection(connection ->
                                                        backend.answers.add(negotiated(connection.channel())));
                                            }
                                        })
                                        .map(frame -> frame.retain()));
                            },
                            spec))
                    .bindNow();
            return backend;
        }

        private static String valueOrEmpty(String value) {
            return value != null ? value : "";
        }

        int port() {
            return this.server.port();
        }

        String nextOffer() throws InterruptedException {
            String offer = this.offers.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(offer).as("a handshake reached the backend").isNotNull();
            return offer;
        }

        /** Whether the backend's side of the connection negotiated compression, seen at its first message. */
        String nextAnswer() throws InterruptedException {
            String answer = this.answers.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(answer).as("a message reached the backend").isNotNull();
            return answer;
        }

        void clear() {
            this.offers.clear();
            this.answers.clear();
        }

        /** Netty adds an extension decoder to the pipeline only when the handshake negotiated the extension. */
        private static String negotiated(Channel channel) {
            for (Map.Entry<String, ChannelHandler> handler : channel.pipeline()) {
                if (handler.getValue() instanceof WebSocketExtensionDecoder) {
                    return "permessage-deflate";
                }
            }
            return "";
        }

        @Override
        public void close() {
            this.server.disposeNow(TIMEOUT);
        }
    }
}
