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
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The security defaults, checked on a running gateway: the actuator only on the management port and only its
 * read-only, operator-facing endpoints; credentials (Authorization, Cookie, query tokens) never in the session
 * or frame logs, also at DEBUG and on failed handshakes.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(
        properties = {
            "logging.level.wsgate=DEBUG",
            "wsgate.proxy.handshake-timeout=5s",
            "management.defaults.metrics.export.enabled=true",
            "management.prometheus.metrics.export.enabled=true"
        })
class SecurityDefaultsIntegrationTests {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** What an operator needs, all read-only. */
    private static final Set<String> EXPOSED = Set.of("health", "info", "prometheus", "gateway", "wsgate");

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("framed", "ws://127.0.0.1:" + backend.port(), "/framed/**").metadata("frame-log", "true");
        routes.add("dead", "ws://127.0.0.1:" + FreePorts.next(), "/dead/**");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "/actuator",
                "/actuator/health",
                "/actuator/prometheus",
                "/actuator/gateway/routes",
                "/actuator/env",
                "/livez",
                "/readyz"
            })
    void managementIsNotServedOnTheTrafficPort(String path) throws Exception {
        assertThat(get(this.port, path).statusCode()).isEqualTo(404);
    }

    @Test
    void managementPortExposesOnlyHealthInfoPrometheusGatewayReadAndSessions() throws Exception {
        HttpResponse<String> index = get(this.managementPort, "/actuator");
        assertThat(index.statusCode()).isEqualTo(200);
        Set<String> endpoints = links(index.body()).stream()
                .map(link -> link.replaceFirst("-.*", "").replaceFirst("/.*", ""))
                .filter(name -> !name.equals("self"))
                .collect(Collectors.toSet());
        assertThat(endpoints).isEqualTo(EXPOSED);
        // Served (DOWN is 503: the "dead" route's backend is down on purpose).
        assertThat(get(this.managementPort, "/actuator/health").statusCode()).isIn(200, 503);
        assertThat(get(this.managementPort, "/livez").statusCode()).isEqualTo(200);
        assertThat(get(this.managementPort, "/actuator/prometheus").statusCode())
                .isEqualTo(200);
        assertThat(get(this.managementPort, "/actuator/gateway/routes").statusCode())
                .isEqualTo(200);
        assertThat(get(this.managementPort, "/actuator/wsgate").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "/actuator/env",
                "/actuator/beans",
                "/actuator/configprops",
                "/actuator/heapdump",
                "/actuator/threaddump",
                "/actuator/loggers",
                "/actuator/mappings",
                "/actuator/shutdown"
            })
    void sensitiveEndpointsAreNotExposed(String path) throws Exception {
        assertThat(get(this.managementPort, path).statusCode()).isEqualTo(404);
    }

    @Test
    void gatewayEndpointIsReadOnly() throws Exception {
        HttpResponse<String> refresh = send(this.managementPort, "POST", "/actuator/gateway/refresh");
        HttpResponse<String> delete = send(this.managementPort, "DELETE", "/actuator/gateway/routes/framed");
        assertThat(refresh.statusCode()).isIn(404, 405);
        assertThat(delete.statusCode()).isIn(404, 405);
        assertThat(get(this.managementPort, "/actuator/gateway/routes/framed").body())
                .contains("framed");
    }

    @Test
    void credentialsNeverReachTheSessionOrFrameLogs(CapturedOutput output) throws IOException {
        String tag = "secrets";
        java.net.http.WebSocket ws = HTTP.newWebSocketBuilder()
                .header("Authorization", "Bearer auth-SECRET-1")
                .header("Cookie", "session=cookie-SECRET-2")
                .buildAsync(
                        wsUri(this.port, "/framed/room?t=" + tag + "&token=query-SECRET-3"),
                        new java.net.http.WebSocket.Listener() {})
                .orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
                .join();
        ws.sendText("a message", true).join();
        ws.sendClose(1000, "").join();
        // The backend got the credentials: the gateway forwards them, it just never writes them down.
        assertThat(backend.session(tag).handshake().get("Authorization")).isEqualTo("Bearer auth-SECRET-1");
        await().atMost(TIMEOUT)
                .until(() -> output.getOut().contains("route=framed")
                        && output.getOut().contains("close=1000"));

        // A refused and an unreachable backend log the failure, without the query either.
        RawHttp.exchange(
                this.port,
                "GET /framed/status/401?token=query-SECRET-4 HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Authorization: Bearer auth-SECRET-5",
                "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                "Sec-WebSocket-Version: 13");
        Throwable dead = JdkWebSocketClient.connectFailure(wsUri(this.port, "/dead/?token=query-SECRET-6"));
        assertThat(dead).isNotNull();
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("Route dead:"));

        assertThat(output.getOut())
                .contains("wsgate.frames")
                .contains("wsgate.session")
                .doesNotContain("SECRET");
    }

    private static List<String> links(String json) {
        Matcher matcher =
                Pattern.compile("\"([a-zA-Z0-9-]+)\"\\s*:\\s*\\{\\s*\"href\"").matcher(json);
        List<String> names = new java.util.ArrayList<>();
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return send(port, "GET", path);
    }

    private static HttpResponse<String> send(int port, String method, String path)
            throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .timeout(TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
