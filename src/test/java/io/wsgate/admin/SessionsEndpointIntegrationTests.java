package io.wsgate.admin;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sessions endpoint with its default settings: it lists real open sessions with their route, backend instance
 * and traffic, filters and pages them, counts them per route and backend; it refuses writes (403) and closes
 * nothing; and none of it is on the traffic port.
 */
@GatewayTest
class SessionsEndpointIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Backend
    static ScriptedBackend backend;

    private final List<JdkWebSocketClient> clients = new ArrayList<>();

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("alpha", "ws://127.0.0.1:" + backend.port(), "/alpha/**");
        routes.add("beta", "ws://127.0.0.1:" + backend.port(), "/beta/**");
    }

    @AfterEach
    void closeClients() {
        this.clients.forEach(JdkWebSocketClient::abort);
        await().atMost(TIMEOUT)
                .until(() -> json(get("/actuator/wsgate")).get("open").asLong() == 0);
    }

    @Test
    void listsOpenSessionsWithTheirRouteBackendAndTraffic() throws IOException {
        JdkWebSocketClient alpha = open("alpha", "a1");
        alpha.sendText("hello");
        assertThat(alpha.nextText()).isEqualTo("hello");
        open("beta", "b1");
        open("beta", "b2");

        JsonNode all = json(get("/actuator/wsgate"));
        assertThat(all.get("open").asLong()).isEqualTo(3);
        assertThat(all.get("byRoute").get("alpha").asLong()).isEqualTo(1);
        assertThat(all.get("byRoute").get("beta").asLong()).isEqualTo(2);
        assertThat(all.get("byBackend").get("ws://127.0.0.1:" + backend.port()).asLong())
                .isEqualTo(3);

        JsonNode alphaOnly = json(get("/actuator/wsgate?route=alpha"));
        assertThat(alphaOnly.get("matching").asLong()).isEqualTo(1);
        JsonNode session = alphaOnly.get("sessions").get(0);
        assertThat(session.get("route").asText()).isEqualTo("alpha");
        assertThat(session.get("client").asText()).startsWith("127.0.0.1:");
        assertThat(session.get("backend").asText()).isEqualTo("ws://127.0.0.1:" + backend.port());
        assertThat(session.get("clientToBackend").get("messages").asLong()).isEqualTo(1);
        assertThat(session.get("clientToBackend").get("bytes").asLong()).isEqualTo(5);
        assertThat(session.get("backendToClient").get("messages").asLong()).isEqualTo(1);
        assertThat(session.get("compression").get("client").asBoolean()).isFalse();

        JsonNode byId = json(get("/actuator/wsgate/" + session.get("id").asText()));
        assertThat(byId.get("route").asText()).isEqualTo("alpha");
        assertThat(status(get("/actuator/wsgate/no-such-session"))).isEqualTo(404);

        String client = session.get("client").asText();
        assertThat(json(get("/actuator/wsgate?client=" + client))
                        .get("matching")
                        .asLong())
                .isEqualTo(1);
        assertThat(json(get("/actuator/wsgate?client=127.0.0.1"))
                        .get("matching")
                        .asLong())
                .isEqualTo(3);
        assertThat(json(get("/actuator/wsgate?backend=ws://127.0.0.1:1"))
                        .get("matching")
                        .asLong())
                .isZero();
    }

    @Test
    void pagesOldestFirst() throws IOException {
        for (int i = 0; i < 5; i++) {
            open("beta", "p" + i);
        }
        JsonNode first = json(get("/actuator/wsgate?size=2"));
        JsonNode third = json(get("/actuator/wsgate?size=2&page=2"));
        assertThat(first.get("sessions")).hasSize(2);
        assertThat(third.get("sessions")).hasSize(1);
        assertThat(first.get("sessions").get(0).get("openedAt").asText())
                .isLessThanOrEqualTo(
                        first.get("sessions").get(1).get("openedAt").asText());
        assertThat(status(get("/actuator/wsgate?size=0"))).isEqualTo(400);
        assertThat(status(get("/actuator/wsgate?size=100000"))).isEqualTo(400);
    }

    @Test
    void refusesWritesByDefaultAndClosesNothing() throws IOException {
        JdkWebSocketClient client = open("alpha", "w1");
        String id = json(get("/actuator/wsgate?route=alpha"))
                .get("sessions")
                .get(0)
                .get("id")
                .asText();

        HttpResponse<String> delete = management().send("DELETE", "/actuator/wsgate/" + id, null);
        HttpResponse<String> close =
                management().send("POST", "/actuator/wsgate", "{\"action\":\"close\",\"route\":\"alpha\"}");
        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(close.statusCode()).isEqualTo(403);
        assertThat(close.body()).contains("wsgate.admin.write-enabled");

        client.sendText("still here");
        assertThat(client.nextText()).isEqualTo("still here");
        assertThat(json(get("/actuator/wsgate")).get("open").asLong()).isEqualTo(1);
    }

    @Test
    void isNotOnTheTrafficPort() throws Exception {
        // The traffic port, asked as the management port is.
        HttpResponse<String> traffic = new ManagementPort(this.port).send("GET", "/actuator/wsgate", null);
        assertThat(traffic.statusCode()).isEqualTo(404);
    }

    private ManagementPort management() {
        return new ManagementPort(this.managementPort);
    }

    private JdkWebSocketClient open(String route, String tag) {
        JdkWebSocketClient client =
                JdkWebSocketClient.connect(URI.create("ws://127.0.0.1:" + this.port + "/" + route + "/x?t=" + tag));
        this.clients.add(client);
        return client;
    }

    HttpResponse<String> get(String path) {
        return management().send("GET", path, null);
    }

    static int status(HttpResponse<String> response) {
        return response.statusCode();
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
