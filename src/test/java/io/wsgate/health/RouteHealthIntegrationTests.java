package io.wsgate.health;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Route health against a real backend process that is stopped and started again: the route goes DOWN and UP,
 * the gateway's own readiness and liveness stay UP, and everything is on the management port.
 */
@GatewayTest(properties = {"wsgate.health.interval=200ms", "wsgate.health.timeout=2s"})
class RouteHealthIntegrationTests {

    private static final int BACKEND_PORT = FreePorts.next();

    private static EchoBackend backend;

    @Backend
    static ScriptedBackend scripted;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        backend = startBackend();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("flaky", "ws://127.0.0.1:" + BACKEND_PORT, "/flaky/**");
        routes.add("nowhere", "ws://127.0.0.1:" + FreePorts.next(), "/nowhere/**");
        routes.add("plain-http", "http://127.0.0.1:" + BACKEND_PORT, "/plain/**");
        routes.add("picky", "ws://127.0.0.1:" + scripted.port(), "/picky/**")
                .metadata("health-path", "/select/superchat");
    }

    private static EchoBackend startBackend() {
        return EchoBackend.start("--server.port=" + BACKEND_PORT);
    }

    @AfterAll
    static void stopBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void routeGoesDownWhenItsBackendStopsAndUpWhenItReturns() throws Exception {
        await().atMost(TIMEOUT).until(() -> get("/actuator/health/routes/flaky").contains("\"status\":\"UP\""));
        assertThat(get("/actuator/health/routes/flaky"))
                .contains("\"latencyMs\"")
                .contains("\"checkedAt\"");

        backend.close();
        backend = null;
        await().atMost(TIMEOUT).until(() -> get("/actuator/health/routes/flaky").contains("\"status\":\"DOWN\""));
        assertThat(get("/actuator/health/routes/flaky")).contains("\"error\"");
        // One sick backend does not take the gateway out of its load balancer.
        assertThat(status("/readyz")).isEqualTo(200);
        assertThat(status("/livez")).isEqualTo(200);

        backend = startBackend();
        await().atMost(TIMEOUT).until(() -> get("/actuator/health/routes/flaky").contains("\"status\":\"UP\""));
    }

    @Test
    void reportsEveryWebSocketRouteAndOnlyThose() throws Exception {
        await().atMost(TIMEOUT).until(() -> get("/actuator/health/routes").contains("nowhere"));
        String routes = get("/actuator/health/routes");
        assertThat(routes).contains("\"flaky\"").doesNotContain("plain-http");
        await().atMost(TIMEOUT)
                .until(() -> get("/actuator/health/routes/nowhere").contains("Connection refused"));
    }

    @Test
    void backendSelectingASubprotocolNobodyOfferedIsDownWithTheReason() throws Exception {
        await().atMost(TIMEOUT)
                .until(() -> get("/actuator/health/routes/picky")
                        .contains("invalid handshake answer: Invalid subprotocol. Actual: superchat"));
        assertThat(get("/actuator/health/routes/picky")).contains("\"status\":\"DOWN\"");
    }

    private String get(String path) throws IOException, InterruptedException {
        return send(path).body();
    }

    private int status(String path) throws IOException, InterruptedException {
        return send(path).statusCode();
    }

    private HttpResponse<String> send(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + path))
                                .timeout(TIMEOUT)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
