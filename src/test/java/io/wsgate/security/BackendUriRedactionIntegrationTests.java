package io.wsgate.security;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.Backend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Route URIs with credentials in their userinfo and query ({@code ws://user:password@host/path?token=...}): the
 * health details on the management port and every log line (route health monitor, session log at DEBUG, failed
 * backend handshakes) show them as {@code ws://host/path}, and the secrets never appear.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(
        properties = {
            "logging.level.wsgate=DEBUG",
            "wsgate.health.interval=200ms",
            "wsgate.health.timeout=2s",
            "wsgate.proxy.handshake-timeout=5s"
        })
class BackendUriRedactionIntegrationTests {

    private static final int DEAD_PORT = FreePorts.next();

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add(
                "live",
                "ws://gw-user:pw-SECRET-1@127.0.0.1:" + backend.port() + "/base?token=query-SECRET-2",
                "/live/**");
        routes.add("dead", "ws://gw-user:pw-SECRET-3@127.0.0.1:" + DEAD_PORT + "/?token=query-SECRET-4", "/dead/**");
    }

    @Test
    void healthDetailsAndLogsShowBackendUrisWithoutUserinfoOrQuery(CapturedOutput output) throws Exception {
        await().atMost(TIMEOUT).until(() -> get("/actuator/health/routes/live").contains("\"status\":\"UP\""));
        await().atMost(TIMEOUT).until(() -> get("/actuator/health/routes/dead").contains("\"status\":\"DOWN\""));

        // A relayed session (session log at DEBUG and INFO) and a failed backend handshake (WARN).
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/live/room?t=redaction"));
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("hello");
        client.close(1000, "");
        assertThat(JdkWebSocketClient.connectFailure(wsUri(this.port, "/dead/")))
                .isNotNull();
        await().atMost(TIMEOUT)
                .until(() -> output.getOut().contains("route=live")
                        && output.getOut().contains("close=1000"));
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("Route dead: Backend"));

        String health = get("/actuator/health");
        assertThat(health)
                .contains("\"uri\":\"ws://127.0.0.1:" + backend.port() + "/base\"")
                .contains("\"uri\":\"ws://127.0.0.1:" + DEAD_PORT + "/\"")
                .doesNotContain("SECRET")
                .doesNotContain("gw-user");
        assertThat(output.getOut())
                .contains("Route live: backend ws://127.0.0.1:" + backend.port() + "/base is UP")
                .contains("Route dead: backend ws://127.0.0.1:" + DEAD_PORT + "/ is DOWN")
                .contains("Route dead: Backend ws://127.0.0.1:" + DEAD_PORT + "/ is unreachable")
                .contains("backend=ws://127.0.0.1:" + backend.port())
                .doesNotContain("SECRET")
                .doesNotContain("gw-user");
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + path))
                .timeout(TIMEOUT)
                .build();
        return HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
