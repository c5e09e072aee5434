package io.wsgate.proxy;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.ScriptedBackend;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Per-route, per-direction message size limits on a real gateway: the sender of a larger message gets 1009, the
 * other leg a clean 1001, the close is counted and logged, and messages up to the limit pass.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest
class MessageSizeLimitIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        // The client may send up to 1 KiB; the backend (which echoes) up to 4 KiB.
        routes.add("small-uploads", "ws://127.0.0.1:" + backend.port(), "/small-uploads/**")
                .metadata("max-message-size", "4KB")
                .metadata("max-message-size-client-to-backend", "1KB");
        routes.add("fragments", "ws://127.0.0.1:" + backend.port(), "/fragments/**")
                .metadata("max-message-size", "1KB");
        // The backend may send up to 1 KiB; the client up to 4 KiB.
        routes.add("small-downloads", "ws://127.0.0.1:" + backend.port(), "/small-downloads/**")
                .metadata("max-message-size-client-to-backend", "4KB")
                .metadata("max-message-size-backend-to-client", "1KB");
    }

    @Test
    void aClientMessageOverTheLimitGetsTheClient1009AndTheBackend1001(CapturedOutput output) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/small-uploads/?t=upload"));
        String atLimit = "a".repeat(1024);
        client.sendText(atLimit);
        assertThat(client.nextText()).isEqualTo(atLimit);

        client.sendText("b".repeat(1025));
        assertThat(client.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1009, "message too big"));
        assertThat(backend.session("upload").awaitClose())
                .isEqualTo(new WebSocketCloseStatus(1001, "client sent a message too big"));

        await().atMost(TIMEOUT).until(() -> gatewayCloses("small-uploads", "client-message-too-big") == 1);
        assertThat(closed("small-uploads", "1009", "gateway")).isEqualTo(1);
        // The oversized message was never relayed.
        assertThat(Search.in(this.registry)
                        .name(WsgateMeterNames.MESSAGES)
                        .tags("route", "small-uploads", "direction", "client-to-backend", "type", "text")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(output.getOut())
                .contains("closed by gateway: client-message-too-big (client-to-backend message of 1025B over the"
                        + " route's limit of 1024B)");
    }

    @Test
    void aFragmentedClientMessageCountsWhole() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/fragments/?t=fragments"));
        // Three frames of 400 B: each under the limit, the message over it.
        client.webSocket()
                .sendText("x".repeat(400), false)
                .orTimeout(30, TimeUnit.SECONDS)
                .join();
        client.webSocket()
                .sendText("x".repeat(400), false)
                .orTimeout(30, TimeUnit.SECONDS)
                .join();
        client.webSocket()
                .sendText("x".repeat(400), true)
                .orTimeout(30, TimeUnit.SECONDS)
                .join();
        assertThat(client.awaitClose().code()).isEqualTo(1009);
        assertThat(backend.session("fragments").awaitClose().code()).isEqualTo(1001);
    }

    @Test
    void aBackendMessageOverTheLimitGetsTheBackend1009AndTheClient1001() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/small-downloads/?t=download"));
        // The backend echoes it back: fine on the way in, too big on the way out.
        client.sendText("c".repeat(2000));
        assertThat(client.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1001, "backend sent a message too big"));
        assertThat(backend.session("download").awaitClose())
                .isEqualTo(new WebSocketCloseStatus(1009, "message too big"));
        await().atMost(TIMEOUT).until(() -> gatewayCloses("small-downloads", "backend-message-too-big") == 1);
        assertThat(closed("small-downloads", "1009", "gateway")).isEqualTo(1);
    }

    private double closed(String route, String code, String closedBy) {
        return MeterCounts.sessionsClosed(this.registry, route, code, closedBy);
    }

    private double gatewayCloses(String route, String reason) {
        return MeterCounts.gatewayCloses(this.registry, route, reason);
    }
}
