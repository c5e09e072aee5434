package io.wsgate.proxy;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * The relay end to end: a real gateway on a random port in front of real backends (the jar's echo-only mode
 * and a scripted Reactor Netty server), spoken to by the JDK's and Reactor Netty's WebSocket clients.
 */
@GatewayTest
class WebSocketRelayIntegrationTests {

    @Backend
    static EchoBackend echo;

    @Backend
    static ScriptedBackend scripted;

    private static ServerSocket stalled;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meterRegistry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) throws IOException {
        // Accepts TCP connections and never answers: a backend that hangs in the handshake.
        stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        int deadPort = FreePorts.next();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("echo", "ws://127.0.0.1:" + echo.port(), "/ws/**");
        routes.add("scripted", "ws://127.0.0.1:" + scripted.port(), "/scripted/**");
        routes.add("http-echo", "http://127.0.0.1:" + echo.port(), "/http-echo/**");
        routes.add("dead", "ws://127.0.0.1:" + deadPort, "/dead/**");
        routes.add("stalled", "ws://127.0.0.1:" + stalled.getLocalPort(), "/stalled/**");
        routes.add("empty-pool", "lb:ws://empty-pool", "/empty-pool/**");
        routes.add("echo-pool", "lb:ws://echo-pool", "/echo-pool/**");
        registry.add(
                "spring.cloud.discovery.client.simple.instances.echo-pool[0].uri",
                () -> "http://127.0.0.1:" + echo.port());
        registry.add("wsgate.proxy.handshake-timeout", () -> "2s");
    }

    @AfterAll
    static void stopStalledBackend() throws IOException {
        stalled.close();
    }

    @Test
    void relaysTextUppercasedByTheEchoBackend() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/ws/"));
        client.sendText("hello, martian!!!!");
        assertThat(client.nextText()).isEqualTo("HELLO, MARTIAN!!!!");
        assertThat(client.close(1000, "bye")).isEqualTo(new JdkWebSocketClient.Close(1000, "bye"));
    }

    @Test
    void relaysOneMebibyteTextAndBinaryMessages() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/ws/big"));
        String text = "abcdefghijklmnop".repeat(65536);
        client.sendText(text);
        assertThat(client.nextText()).isEqualTo(text.toUpperCase(Locale.ROOT));

        byte[] bytes = new byte[1024 * 1024];
        new Random(42).nextBytes(bytes);
        client.sendBinary(ByteBuffer.wrap(bytes));
        assertThat((ByteBuffer) client.nextMessage()).isEqualTo(ByteBuffer.wrap(bytes));
        client.close(1000, "");
    }

    @Test
    void upgradeOnAnHttpRouteIsRelayedAsWebSocket() {
        assertThat(JdkWebSocketClient.replyTo(wsUri(this.port, "/http-echo/"), "over http route"))
                .isEqualTo("OVER HTTP ROUTE");
    }

    @Test
    void loadBalancedRouteReachesAnInstance() {
        assertThat(JdkWebSocketClient.replyTo(wsUri(this.port, "/echo-pool/"), "balanced"))
                .isEqualTo("BALANCED");
    }

    @Test
    void relaysFragmentedMessagesAsOneMessage() {
        String reply = HttpClient.create()
                .websocket()
                .uri(wsUri(this.port, "/ws/fragments"))
                .handle((in, out) -> out.sendObject(Flux.just(
                                new TextWebSocketFrame(false, 0, "hello, "),
                                new ContinuationWebSocketFrame(false, 0, "frag"),
                                new ContinuationWebSocketFrame(true, 0, "mented")))
                        .then()
                        .thenMany(in.aggregateFrames().receiveFrames().take(1))
                        .map(frame -> ((TextWebSocketFrame) frame).text()))
                .blockFirst(TIMEOUT);
        assertThat(reply).isEqualTo("HELLO, FRAGMENTED");
    }

    @Test
    void relaysPingsToTheBackendAndItsPongsBack() {
        WebSocketFrame pong = HttpClient.create()
                .websocket(WebsocketClientSpec.builder().handlePing(true).build())
                .uri(wsUri(this.port, "/scripted/"))
                .handle((in, out) -> out.sendObject(Mono.just(
                                new PingWebSocketFrame(Unpooled.copiedBuffer("are you there", StandardCharsets.UTF_8))))
                        .then()
                        .thenMany(in.receiveFrames()
                                .filter(PongWebSocketFrame.class::isInstance)
                                .take(1))
                        .map(WebSocketFrame::retain))
                .blockFirst(TIMEOUT);
        try {
            // The backend's own pong: the gateway did not answer the ping itself.
            assertThat(pong.content().toString(StandardCharsets.UTF_8)).isEqualTo("backend:are you there");
        } finally {
            pong.release();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999})
    void relaysTheBackendsCloseCodeAndReasonToTheClient(int code) {
        WebSocketCloseStatus status = closeSeenByClient(
                "backend-close-" + code, out -> out.sendString(Mono.just("close:" + code + ":reason " + code)));
        assertThat(status.code()).isEqualTo(code);
        assertThat(status.reasonText()).isEqualTo("reason " + code);
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999})
    void relaysTheClientsCloseCodeAndReasonToTheBackend(int code) {
        String tag = "client-close-" + code;
        WebSocketCloseStatus echoed = closeSeenByClient(
                tag,
                out -> out.sendObject(new CloseWebSocketFrame(code, "client " + code))
                        .then());
        assertThat(echoed.code()).isEqualTo(code);
        WebSocketCloseStatus atBackend = scripted.session(tag).awaitClose();
        assertThat(atBackend.code()).isEqualTo(code);
        assertThat(atBackend.reasonText()).isEqualTo("client " + code);
    }

    private WebSocketCloseStatus closeSeenByClient(String tag, Function<WebsocketOutbound, Publisher<Void>> action) {
        return HttpClient.create()
                .websocket()
                .uri(wsUri(this.port, "/scripted/?t=" + tag))
                // Reading inbound keeps the client reading: Reactor Netty reads only on demand.
                .handle((WebsocketInbound in, WebsocketOutbound out) ->
                        Mono.when(in.receiveFrames(), action.apply(out)).then(in.receiveCloseStatus()))
                .blockFirst(TIMEOUT);
    }

    @Test
    void backendDyingMidSessionClosesTheClientWith1011() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/scripted/"));
        client.sendText("still here");
        assertThat(client.nextText()).isEqualTo("still here");
        client.sendText("die");
        assertThat(client.awaitClose().code()).isEqualTo(1011);
    }

    @Test
    void clientVanishingClosesTheBackendLegWith1001() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/scripted/?t=vanish"));
        client.sendText("about to vanish");
        assertThat(client.nextText()).isEqualTo("about to vanish");
        client.abort();
        assertThat(scripted.session("vanish").awaitClose().code()).isEqualTo(1001);
    }

    @Test
    void clientGetsTheSubprotocolTheBackendSelected() {
        JdkWebSocketClient client =
                JdkWebSocketClient.connect(wsUri(this.port, "/scripted/chat?t=chat"), "v1.chat", "v2.chat");
        assertThat(client.webSocket().getSubprotocol()).isEqualTo("v2.chat");
        assertThat(scripted.session("chat").handshake().get("Sec-WebSocket-Protocol"))
                .isEqualTo("v1.chat,v2.chat");
        client.close(1000, "");
    }

    @Test
    void clientGetsTheBackendsHandshakeResponseHeaders() {
        var headers = HttpClient.create()
                .headers(h -> h.set("X-Client", "wsgate-test"))
                .websocket()
                .uri(wsUri(this.port, "/scripted/?t=headers"))
                .handle((in, out) ->
                        out.sendClose(1000, "").then(Mono.just(in.headers().copy())))
                .blockFirst(TIMEOUT);
        assertThat(headers.get("Set-Cookie")).isEqualTo("backend=scripted; Path=/");
        assertThat(headers.get("X-Backend")).isEqualTo("scripted");
        var atBackend = scripted.session("headers").handshake();
        assertThat(atBackend.get("X-Client")).isEqualTo("wsgate-test");
        // The gateway's own handshake with the backend, not the client's key.
        assertThat(atBackend.get("Sec-WebSocket-Key")).isNotEqualTo("lkUx3lTpjFwO5OI7xY3+1Q==");
    }

    @Test
    void refusedHandshakeGivesTheClientTheBackendsStatus() throws IOException {
        RawHttp.Response response = RawHttp.exchange(this.port, RawHttp.upgradeRequest("/scripted/status/401"));
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"scripted\"");
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/scripted/status/404"))
                        .status())
                .isEqualTo(404);
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/scripted/status/500"))
                        .status())
                .isEqualTo(502);
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/scripted/status/200"))
                        .status())
                .isEqualTo(502);
    }

    @Test
    void unreachableBackendGives502AndNeverUpgrades() {
        Throwable failure = JdkWebSocketClient.connectFailure(wsUri(this.port, "/dead/"));
        assertThat(failure).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) failure).getResponse().statusCode())
                .isEqualTo(502);
    }

    @Test
    void backendThatNeverAnswersGives504() throws IOException {
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/stalled/"))
                        .status())
                .isEqualTo(504);
    }

    @Test
    void loadBalancedRouteWithNoInstanceGives503() throws IOException {
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/empty-pool/"))
                        .status())
                .isEqualTo(503);
    }

    @Test
    void invalidUpgradesGetAClear4xxAndTheGatewayKeepsServing() throws IOException {
        RawHttp.Response wrongVersion = RawHttp.exchange(
                this.port,
                "GET /ws/ HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                "Sec-WebSocket-Version: 8");
        assertThat(wrongVersion.status()).isEqualTo(426);
        assertThat(wrongVersion.header("Sec-WebSocket-Version")).isEqualTo("13");

        RawHttp.Response missingKey = RawHttp.exchange(
                this.port,
                "GET /ws/ HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Version: 13");
        assertThat(missingKey.status()).isEqualTo(400);

        RawHttp.Response badKey = RawHttp.exchange(
                this.port,
                "GET /ws/ HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: tooshort",
                "Sec-WebSocket-Version: 13");
        assertThat(badKey.status()).isEqualTo(400);

        RawHttp.Response post = RawHttp.exchange(
                this.port,
                "POST /ws/ HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                "Sec-WebSocket-Version: 13",
                "Content-Length: 0");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET");

        RawHttp.Response plainGet = RawHttp.exchange(this.port, "GET /ws/ HTTP/1.1", "Host: localhost");
        assertThat(plainGet.status()).isEqualTo(426);
        assertThat(plainGet.header("Upgrade")).isEqualTo("websocket");

        relaysTextUppercasedByTheEchoBackend();
    }

    @Test
    void slowReaderStopsTheSenderInsteadOfGrowingBuffers() throws Exception {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/ws/slow"), false);
        int messages = 8192;
        String message = "x".repeat(64 * 1024);
        // 512 MiB in all: far more than the path can hold while nobody reads. That is several tens of MiB: the
        // socket buffers of four connections (loopback autotuning grows them to MiBs) and up to 256 messages queued
        // by each of Reactor Netty's sends (the gateway's two legs and the echo backend); 128 MiB was too close.
        AtomicInteger sent = new AtomicInteger();
        Thread sender = new Thread(() -> {
            for (int i = 0; i < messages; i++) {
                client.webSocket().sendText(message, true).join();
                sent.incrementAndGet();
            }
        });
        sender.setDaemon(true);
        sender.start();
        int previous;
        do {
            previous = sent.get();
            TimeUnit.SECONDS.sleep(1);
        } while (sent.get() != previous);
        assertThat(sent.get()).as("sends completed while nobody read").isLessThan(messages);

        client.request(Long.MAX_VALUE);
        for (int i = 0; i < messages; i++) {
            assertThat(client.nextText()).hasSize(message.length());
        }
        sender.join(TIMEOUT.toMillis());
        assertThat(sent.get()).isEqualTo(messages);
        client.close(1000, "");
    }

    @Test
    void anUpgradeIsNotObservedAsARequestAndLeavesNoBackendConnectionBehind() throws Exception {
        relayOneMessageEach(this.port, "/scripted/", 5);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (scripted.openSessions() > 0 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        assertThat(scripted.openSessions()).isZero();
        // wsgate's session and backend-handshake meters measure them; the framework's request observations are off
        // for upgrades (GatewayObservationIntegrationTests: and end with the session when turned on).
        assertThat(this.meterRegistry.find("http.client.requests").meters()).isEmpty();
        assertThat(this.meterRegistry.find("http.client.requests.active").meters())
                .isEmpty();
        assertThat(this.meterRegistry
                        .find("http.server.requests")
                        .tag("status", "101")
                        .meters())
                .isEmpty();
        assertThat(this.meterRegistry.find("wsgate.backend.handshake").tag("route", "scripted").timers().stream()
                        .mapToLong(io.micrometer.core.instrument.Timer::count)
                        .sum())
                .isGreaterThanOrEqualTo(5);
    }

    /** {@code sessions} sessions one after another, each relaying one message there and back, closed with 1000. */
    static void relayOneMessageEach(int port, String path, int sessions) {
        for (int i = 0; i < sessions; i++) {
            JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(port, path));
            client.sendText("session " + i);
            assertThat(client.nextText()).isEqualTo("session " + i);
            client.close(1000, "");
        }
    }
}
