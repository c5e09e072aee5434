package io.wsgate.session;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * Keepalive pings on a real gateway, seen as raw frames by a Reactor Netty client and backend that handle pings
 * themselves: both legs get pings, the pongs answering them are not relayed, a peer's own ping still reaches the
 * other side, and a client or backend that never answers is closed with 1001 and counted.
 */
@GatewayTest
class KeepaliveIntegrationTests {

    private static Peer backend;

    private static DisposableServer backendServer;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        backend = new Peer();
        backendServer = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> {
                    String tag = new QueryStringDecoder(request.uri())
                            .parameters()
                            .getOrDefault("t", List.of(""))
                            .get(0);
                    // Path /silent: a backend that never answers pings.
                    boolean answers = !request.fullPath().startsWith("/silent");
                    return response.sendWebsocket(
                            (in, out) -> backend.converse(tag, answers, in, out),
                            WebsocketServerSpec.builder().handlePing(true).build());
                })
                .bindNow();
        GatewayRoutes routes = new GatewayRoutes(registry);
        String uri = "ws://127.0.0.1:" + backendServer.port();
        for (String id : List.of("pinged", "silent-client", "silent-backend")) {
            routes.add(id, uri, "/" + id + "/**")
                    .metadata("ping-interval", "200ms")
                    .metadata("pong-timeout", id.equals("pinged") ? "5s" : "300ms");
        }
    }

    @AfterAll
    static void stopBackend() {
        backendServer.disposeNow();
    }

    @Test
    void pingsBothLegsAndKeepsTheirPongsToItself() {
        Peer client = new Peer();
        Disposable connection = client.connect(this.port, "/pinged/?t=answering", true);
        try {
            await().atMost(TIMEOUT).until(() -> client.pingsSeen("") >= 3 && backend.pingsSeen("answering") >= 3);
            assertThat(client.frames("")).allMatch(frame -> frame.startsWith("ping:wsgate-keepalive:"));

            // A ping of the client's own goes through and the backend's pong comes back.
            client.send(new PingWebSocketFrame(Unpooled.copiedBuffer("mine", StandardCharsets.UTF_8)));
            await().atMost(TIMEOUT).until(() -> client.frames("").contains("pong:mine"));
            assertThat(backend.frames("answering")).contains("ping:mine");

            // Answered pings keep the session open well past several pong rounds.
            assertThat(client.close("")).isNotDone();
            // The pongs that answered the gateway were never relayed to the other side.
            assertThat(backend.frames("answering")).noneMatch(frame -> frame.startsWith("pong:"));
            assertThat(client.frames(""))
                    .filteredOn(frame -> frame.startsWith("pong:"))
                    .containsExactly("pong:mine");
            assertThat(pings("pinged", "client")).isGreaterThanOrEqualTo(3);
            assertThat(pings("pinged", "backend")).isGreaterThanOrEqualTo(3);
            assertThat(MeterCounts.count(this.registry, WsgateMeterNames.KEEPALIVE_UNANSWERED, "route", "pinged"))
                    .isZero();
        } finally {
            connection.dispose();
        }
    }

    @Test
    void closesTheSessionOfAClientThatNeverAnswers() {
        Peer client = new Peer();
        Disposable connection = client.connect(this.port, "/silent-client/?t=silent-client", false);
        try {
            assertThat(client.awaitClose("")).isEqualTo(new WebSocketCloseStatus(1001, "client not responding"));
            assertThat(backend.awaitClose("silent-client"))
                    .isEqualTo(new WebSocketCloseStatus(1001, "client not responding"));
            await().atMost(TIMEOUT)
                    .until(() -> MeterCounts.count(
                                    this.registry,
                                    WsgateMeterNames.GATEWAY_CLOSES,
                                    "route",
                                    "silent-client",
                                    "reason",
                                    "client-pong-timeout")
                            == 1);
            assertThat(unanswered("silent-client", "client")).isEqualTo(1);
            assertThat(unanswered("silent-client", "backend")).isZero();
        } finally {
            connection.dispose();
        }
    }

    @Test
    void closesTheSessionOfABackendThatNeverAnswers() {
        // The JDK client answers pings by itself.
        JdkWebSocketClient client =
                JdkWebSocketClient.connect(wsUri(this.port, "/silent-backend/silent?t=silent-backend"));
        assertThat(client.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1001, "backend not responding"));
        assertThat(backend.awaitClose("silent-backend"))
                .isEqualTo(new WebSocketCloseStatus(1001, "backend not responding"));
        await().atMost(TIMEOUT).until(() -> unanswered("silent-backend", "backend") == 1);
        assertThat(unanswered("silent-backend", "client")).isZero();
    }

    private double pings(String route, String peer) {
        return MeterCounts.count(this.registry, WsgateMeterNames.KEEPALIVE_PINGS, "route", route, "peer", peer);
    }

    private double unanswered(String route, String peer) {
        return MeterCounts.count(this.registry, WsgateMeterNames.KEEPALIVE_UNANSWERED, "route", route, "peer", peer);
    }

    /**
     * One side of a WebSocket that handles pings itself: records every frame it gets as {@code type:payload} per
     * tag, answers pings with the same payload when asked to, and echoes text.
     */
    static final class Peer {

        private final Map<String, Queue<String>> frames = new ConcurrentHashMap<>();

        private final Map<String, CompletableFuture<WebSocketCloseStatus>> closes = new ConcurrentHashMap<>();

        private volatile WebsocketOutbound outbound;

        Publisher<Void> converse(String tag, boolean answersPings, WebsocketInbound in, WebsocketOutbound out) {
            this.outbound = out;
            in.receiveCloseStatus().subscribe(close(tag)::complete);
            return out.sendObject(in.receiveFrames().concatMap(frame -> {
                String payload = frame.content().toString(StandardCharsets.UTF_8);
                frames(tag).add(type(frame) + ":" + payload);
                if (frame instanceof PingWebSocketFrame && answersPings) {
                    return Mono.just(new PongWebSocketFrame(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)));
                }
                if (frame instanceof TextWebSocketFrame) {
                    return Mono.just(new TextWebSocketFrame(payload));
                }
                return Mono.<WebSocketFrame>empty();
            }));
        }

        Disposable connect(int port, String path, boolean answersPings) {
            return HttpClient.create()
                    .websocket(WebsocketClientSpec.builder().handlePing(true).build())
                    .uri("ws://127.0.0.1:" + port + path)
                    .handle((in, out) -> converse("", answersPings, in, out))
                    .subscribe();
        }

        void send(WebSocketFrame frame) {
            await().atMost(TIMEOUT).until(() -> this.outbound != null);
            this.outbound.sendObject(frame).then().block(TIMEOUT);
        }

        Queue<String> frames(String tag) {
            return this.frames.computeIfAbsent(tag, t -> new ConcurrentLinkedQueue<>());
        }

        long pingsSeen(String tag) {
            return frames(tag).stream()
                    .filter(frame -> frame.startsWith("ping:"))
                    .count();
        }

        CompletableFuture<WebSocketCloseStatus> close(String tag) {
            return this.closes.computeIfAbsent(tag, t -> new CompletableFuture<>());
        }

        WebSocketCloseStatus awaitClose(String tag) {
            return close(tag).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        }

        private static String type(WebSocketFrame frame) {
            return frame.getClass()
                    .getSimpleName()
                    .replace("WebSocketFrame", "")
                    .toLowerCase(java.util.Locale.ROOT);
        }
    }
}
