package io.wsgate.metrics;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * wsgate's meters on a real gateway: they move as real sessions open, exchange and close, attribute each close
 * to the right side and code, count rejected handshakes, and return to zero. Each test uses its own route so
 * their counts don't mix.
 */
@GatewayTest(
        properties = {
            "management.defaults.metrics.export.enabled=true",
            "management.prometheus.metrics.export.enabled=true",
            "wsgate.proxy.handshake-timeout=5s"
        })
class WebSocketMetricsIntegrationTests {

    @Backend
    static EchoBackend echo;

    @Backend
    static ScriptedBackend scripted;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("counted", "ws://127.0.0.1:" + echo.port(), "/counted/**");
        routes.add("many", "ws://127.0.0.1:" + echo.port(), "/many/**");
        routes.add("scraped", "ws://127.0.0.1:" + echo.port(), "/scraped/**");
        routes.add("client-closes", "ws://127.0.0.1:" + scripted.port(), "/client-closes/**");
        routes.add("backend-closes", "ws://127.0.0.1:" + scripted.port(), "/backend-closes/**");
        routes.add("backend-dies", "ws://127.0.0.1:" + scripted.port(), "/backend-dies/**");
        routes.add("refusing", "ws://127.0.0.1:" + scripted.port(), "/refusing/**");
        routes.add("dead", "ws://127.0.0.1:" + FreePorts.next(), "/dead/**");
        routes.add("empty-pool", "lb:ws://empty-pool", "/empty-pool/**");
    }

    @Test
    void countsSessionsMessagesAndBytesPerDirectionAndReturnsToZero() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/counted/"));
        await().atMost(TIMEOUT).until(() -> active("counted") == 1);
        assertThat(counter(WsgateMeterNames.SESSIONS_OPENED, "route", "counted"))
                .isEqualTo(1);

        client.sendText("one");
        assertThat(client.nextText()).isEqualTo("ONE");
        client.sendText("three");
        assertThat(client.nextText()).isEqualTo("THREE");
        client.sendBinary(ByteBuffer.wrap(new byte[10]));
        client.nextMessage();
        assertThat(client.close(1000, "").code()).isEqualTo(1000);

        await().atMost(TIMEOUT).until(() -> active("counted") == 0);
        for (String direction : List.of("client-to-backend", "backend-to-client")) {
            assertThat(messages("counted", direction, "text")).isEqualTo(2);
            assertThat(messages("counted", direction, "binary")).isEqualTo(1);
            assertThat(counter(
                            WsgateMeterNames.MESSAGE_BYTES, "route", "counted", "direction", direction, "type", "text"))
                    .isEqualTo(8);
        }
        assertThat(closed("counted", "1000", "client")).isEqualTo(1);
        Timer duration = this.registry
                .get(WsgateMeterNames.SESSIONS_DURATION)
                .tag("route", "counted")
                .timer();
        assertThat(duration.count()).isEqualTo(1);
        Timer handshake = this.registry
                .get(WsgateMeterNames.BACKEND_HANDSHAKE)
                .tags("route", "counted", "outcome", "success")
                .timer();
        assertThat(handshake.count()).isEqualTo(1);
    }

    @Test
    void manySessionsAtOnceAllReturnTheGaugeToZero() {
        List<JdkWebSocketClient> clients = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            clients.add(JdkWebSocketClient.connect(wsUri(this.port, "/many/")));
        }
        await().atMost(TIMEOUT).until(() -> active("many") == 20);
        for (int i = 0; i < clients.size(); i++) {
            if (i % 2 == 0) {
                clients.get(i).close(1000, "");
            } else {
                clients.get(i).abort();
            }
        }
        await().atMost(TIMEOUT).until(() -> active("many") == 0);
        assertThat(counter(WsgateMeterNames.SESSIONS_CLOSED, "route", "many", "closed.by", "client"))
                .isEqualTo(20);
    }

    @Test
    void attributesAClientCloseToTheClientWithItsCodeBucketed() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/client-closes/"));
        assertThat(client.close(4321, "private code").code()).isEqualTo(4321);
        await().atMost(TIMEOUT).until(() -> closed("client-closes", "4xxx", "client") == 1);
        assertThat(active("client-closes")).isZero();
    }

    @Test
    void attributesABackendCloseToTheBackend() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/backend-closes/"));
        client.sendText("close:1011:overloaded");
        assertThat(client.awaitClose().code()).isEqualTo(1011);
        await().atMost(TIMEOUT).until(() -> closed("backend-closes", "1011", "backend") == 1);
    }

    @Test
    void aBackendThatDiesIsABackendCloseWithoutCode() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/backend-dies/"));
        client.sendText("die");
        assertThat(client.awaitClose().code()).isEqualTo(1011);
        await().atMost(TIMEOUT).until(() -> closed("backend-dies", "1006", "backend") == 1);
    }

    @Test
    void countsRejectedHandshakesByReasonAndStatus() throws IOException {
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/refusing/status/401"))
                        .status())
                .isEqualTo(401);
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/dead/")).status())
                .isEqualTo(502);
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/empty-pool/"))
                        .status())
                .isEqualTo(503);
        RawHttp.Response badVersion = RawHttp.exchange(
                this.port,
                "GET /refusing/ HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                "Sec-WebSocket-Version: 8");
        assertThat(badVersion.status()).isEqualTo(426);

        assertThat(rejected("refusing", "backend-refused", "401")).isEqualTo(1);
        assertThat(rejected("dead", "backend-unreachable", "502")).isEqualTo(1);
        assertThat(rejected("empty-pool", "no-instance", "503")).isEqualTo(1);
        assertThat(rejected("refusing", "bad-request", "426")).isEqualTo(1);
        assertThat(this.registry
                        .get(WsgateMeterNames.BACKEND_HANDSHAKE)
                        .tags("route", "dead", "outcome", "backend-unreachable")
                        .timer()
                        .count())
                .isEqualTo(1);
        // Nothing was opened for any of them.
        assertThat(counter(WsgateMeterNames.SESSIONS_OPENED, "route", "refusing"))
                .isZero();
    }

    @Test
    void publishesTheMetersAndReactorNettyConnectionsOnTheManagementPort() throws Exception {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/scraped/"));
        client.sendText("scrape me");
        client.nextText();
        String scrape = get("/actuator/prometheus");
        assertThat(scrape)
                .contains("wsgate_sessions_active{")
                .contains("wsgate_messages_total{")
                .contains("wsgate_message_bytes_total{")
                .contains("wsgate_backend_handshake_seconds_bucket{")
                .contains("reactor_netty_http_server_connections_active");
        client.close(1000, "");
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + path))
                                .timeout(TIMEOUT)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private double active(String route) {
        return MeterCounts.activeSessions(this.registry, route);
    }

    private double messages(String route, String direction, String type) {
        return counter(WsgateMeterNames.MESSAGES, "route", route, "direction", direction, "type", type);
    }

    private double closed(String route, String code, String closedBy) {
        return counter(WsgateMeterNames.SESSIONS_CLOSED, "route", route, "close.code", code, "closed.by", closedBy);
    }

    private double rejected(String route, String reason, String status) {
        return counter(WsgateMeterNames.HANDSHAKES_REJECTED, "route", route, "reason", reason, "status", status);
    }

    private double counter(String name, String... tags) {
        return this.registry.find(name).tags(tags).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }
}
