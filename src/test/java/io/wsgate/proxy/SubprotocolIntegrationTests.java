package io.wsgate.proxy;

import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Subprotocol negotiation through a real gateway, each case on a plain route and on a compressing one (whose
 * backend legs go through a twin WebSocket client): the client gets exactly what the backend selected, none
 * included, and a backend that selects a subprotocol the client did not offer gets the client a 502. The scripted
 * backend selects none on its default path, {@code v2.chat} on {@code /chat}, and anything it is told on
 * {@code /select/NAME}. (Its {@code /chat} is no backend that selects none: Reactor Netty's server answers 101
 * to an offer without {@code v2.chat} but never runs the session.)
 */
@GatewayTest(properties = "wsgate.health.enabled=false")
@ExtendWith(OutputCaptureExtension.class)
class SubprotocolIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("plain", "ws://127.0.0.1:" + backend.port(), "/plain/**").metadata("compression", "false");
        routes.add("deflate", "ws://127.0.0.1:" + backend.port(), "/deflate/**").metadata("compression", "true");
        routes.add("http", "http://127.0.0.1:" + backend.port(), "/http/**");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "deflate"})
    void noneOfferedAndNoneSelectedGivesA101WithoutSubprotocol(String route) {
        String tag = tag();
        try (RawWebSocket client = RawWebSocket.connect(this.port, "/" + route + "/?t=" + tag)) {
            assertThat(client.handshake().status()).isEqualTo(101);
            assertThat(client.handshake().header("Sec-WebSocket-Protocol")).isNull();
            assertEchoes(client);
        }
        assertThat(backend.session(tag).handshake().get("Sec-WebSocket-Protocol"))
                .isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "deflate"})
    void offeredButNoneSelectedGivesA101WithoutSubprotocol(String route) {
        String tag = tag();
        try (RawWebSocket client =
                RawWebSocket.connect(this.port, "/" + route + "/?t=" + tag, "Sec-WebSocket-Protocol: chat")) {
            assertThat(client.handshake().status()).isEqualTo(101);
            // The backend's decision, relayed: the client judges it (a browser fails it, most others go on).
            assertThat(client.handshake().headers()).doesNotContainKey("sec-websocket-protocol");
            assertEchoes(client);
        }
        assertThat(backend.session(tag).handshake().get("Sec-WebSocket-Protocol"))
                .isEqualTo("chat");
    }

    @Test
    void aPooledConnectionOfAnHttpRouteReusedForTheHandshakeLetsTheBackendSelectNone() throws Exception {
        String httpTag = tag();
        HttpResponse<String> plain = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/http/http?t=" + httpTag))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(plain.body()).isEqualTo("plain http");

        String tag = tag();
        try (RawWebSocket client =
                RawWebSocket.connect(this.port, "/plain/?t=" + tag, "Sec-WebSocket-Protocol: chat")) {
            assertThat(client.handshake().status()).isEqualTo(101);
            assertThat(client.handshake().headers()).doesNotContainKey("sec-websocket-protocol");
            assertEchoes(client);
        }
        // The gateway's HTTP routes and its WebSocket client share one connection pool, so the handshake may run on
        // the connection the HTTP request left (which one the pool hands out depends on the event loop: not asserted).
        assertThat(backend.session(httpTag).remoteAddress()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "deflate"})
    void javaClientOfferingWhatTheBackendDoesNotSpeakGoesOnWithoutSubprotocol(String route) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri(route, "/?t=" + tag()), "v1.chat", "v3.chat");
        assertThat(client.webSocket().getSubprotocol()).isEmpty();
        client.sendText("hello without a subprotocol");
        assertThat(client.nextText()).isEqualTo("hello without a subprotocol");
        assertThat(client.close(1000, "").code()).isEqualTo(1000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "deflate"})
    void offeredAndOneSelectedGivesTheClientThatOne(String route) {
        String tag = tag();
        try (RawWebSocket client = RawWebSocket.connect(
                this.port, "/" + route + "/chat?t=" + tag, "Sec-WebSocket-Protocol: v1.chat, v2.chat")) {
            assertThat(client.handshake().status()).isEqualTo(101);
            assertThat(client.handshake().header("Sec-WebSocket-Protocol")).isEqualTo("v2.chat");
            assertEchoes(client);
        }
        assertThat(backend.session(tag).handshake().get("Sec-WebSocket-Protocol"))
                .isEqualTo("v1.chat,v2.chat");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "deflate"})
    void selectedButNotOfferedGives502AndClosesTheBackendLeg(String route, CapturedOutput output) {
        double rejectedBefore = rejected(route);

        String offeredTag = tag();
        try (RawWebSocket client = RawWebSocket.connect(
                this.port, "/" + route + "/select/superchat?t=" + offeredTag, "Sec-WebSocket-Protocol: chat")) {
            assertThat(client.handshake().status()).isEqualTo(502);
        }
        backend.session(offeredTag).awaitDisconnect();

        String noneOfferedTag = tag();
        try (RawWebSocket client =
                RawWebSocket.connect(this.port, "/" + route + "/select/superchat?t=" + noneOfferedTag)) {
            assertThat(client.handshake().status()).isEqualTo(502);
        }
        backend.session(noneOfferedTag).awaitDisconnect();

        assertThat(rejected(route)).isEqualTo(rejectedBefore + 2);
        // The backend's query is left out of the log.
        String backendLine = "Route " + route + ": Backend ws://127.0.0.1:" + backend.port()
                + "/select/superchat selected subprotocol 'superchat', which the client did not offer";
        assertThat(output.getOut())
                .contains(backendLine + " (offered: chat)")
                .contains(backendLine + " (offered: none)");
    }

    private static void assertEchoes(RawWebSocket client) {
        client.sendText("relayed");
        RawWebSocket.Frame reply = client.readFrame();
        assertThat(reply.opcode()).isEqualTo(RawWebSocket.TEXT);
        assertThat(reply.text()).isEqualTo("relayed");
        client.sendClose(1000, "");
        assertThat(client.awaitClose().closeCode()).isEqualTo(1000);
    }

    private double rejected(String route) {
        return MeterCounts.count(
                this.registry,
                WsgateMeterNames.HANDSHAKES_REJECTED,
                "route",
                route,
                "reason",
                "backend-subprotocol",
                "status",
                "502");
    }

    private URI uri(String route, String path) {
        return wsUri(this.port, "/" + route + path);
    }

    private static String tag() {
        return UUID.randomUUID().toString();
    }
}
