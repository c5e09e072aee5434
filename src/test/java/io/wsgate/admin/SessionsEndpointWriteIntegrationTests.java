package io.wsgate.admin;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The endpoint's writes with {@code wsgate.admin.write-enabled=true}, on real sessions: one session, a route's and a
 * backend instance's closed with the chosen code (the backend gets 1001), a share of a route shed over a window;
 * each write logged with the requester's address and counted, each close counted as the operator's.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = "wsgate.admin.write-enabled=true")
class SessionsEndpointWriteIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Backend
    static ScriptedBackend backend;

    private final List<JdkWebSocketClient> clients = new ArrayList<>();

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    MeterRegistry meters;

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
                .until(() -> json(management().send("GET", "/actuator/wsgate", null))
                                .get("open")
                                .asLong()
                        == 0);
    }

    @Test
    void closesOneSessionWithTheChosenCodeAndTheBackendWith1001(CapturedOutput output) {
        JdkWebSocketClient target = open("alpha", "one-target");
        JdkWebSocketClient other = open("beta", "one-other");
        // After traffic, as an operator meets a session.
        target.sendText("before");
        assertThat(target.nextText()).isEqualTo("before");
        String id = onlySessionOf("alpha");
        double closesBefore = operatorCloses("alpha");

        HttpResponse<String> response =
                management().send("DELETE", "/actuator/wsgate/" + id + "?code=1012&reason=service%20restart", null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(target.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1012, "service restart"));
        assertThat(awaitCloseFrame("one-target")).isEqualTo(new ScriptedBackend.CloseFrame(1001, "service restart"));
        other.sendText("still open");
        assertThat(other.nextText()).isEqualTo("still open");
        assertThat(output).contains("Operator at 127.0.0.1:").contains("closes session " + id);
        assertThat(writes("close-session", "done")).isEqualTo(1);
        await().atMost(TIMEOUT).until(() -> operatorCloses("alpha") == closesBefore + 1);
        assertThat(management().send("DELETE", "/actuator/wsgate/" + id, null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void closesEverySessionOfARouteOrABackendInstance() {
        List<JdkWebSocketClient> alpha = List.of(open("alpha", "r1"), open("alpha", "r2"), open("alpha", "r3"));
        JdkWebSocketClient beta = open("beta", "r4");
        awaitOpen(4);

        HttpResponse<String> byRoute = management()
                .send(
                        "POST",
                        "/actuator/wsgate",
                        "{\"action\":\"close\",\"route\":\"alpha\",\"code\":1013,\"reason\":\"try later\"}");

        assertThat(byRoute.statusCode()).as(byRoute.body()).isEqualTo(200);
        assertThat(json(byRoute).get("closed").asInt()).isEqualTo(3);
        alpha.forEach(
                client -> assertThat(client.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1013, "try later")));
        beta.sendText("beta lives");
        assertThat(beta.nextText()).isEqualTo("beta lives");

        HttpResponse<String> byBackend = management()
                .send(
                        "POST",
                        "/actuator/wsgate",
                        "{\"action\":\"close\",\"backend\":\"ws://127.0.0.1:" + backend.port() + "\"}");
        assertThat(json(byBackend).get("closed").asInt()).isEqualTo(1);
        assertThat(beta.awaitClose().code()).isEqualTo(1001);
        assertThat(writes("close-route", "done")).isEqualTo(1);
        assertThat(writes("close-backend", "done")).isEqualTo(1);
    }

    @Test
    void shedsTheShareOfARouteAsked() {
        int total = 6;
        List<JdkWebSocketClient> sessions = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            sessions.add(open("beta", "shed" + i));
        }
        awaitOpen(total);
        ConcurrentHashMap<JdkWebSocketClient, Long> closedAt = new ConcurrentHashMap<>();
        sessions.forEach(client -> CompletableFuture.runAsync(() -> {
            client.awaitClose();
            closedAt.put(client, System.nanoTime());
        }));

        HttpResponse<String> response = management()
                .send(
                        "POST",
                        "/actuator/wsgate",
                        "{\"action\":\"shed\",\"route\":\"beta\",\"percent\":50,\"window\":\"2s\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response).get("shedding").asInt()).isEqualTo(3);
        await().atMost(TIMEOUT).until(() -> closedAt.size() == 3);
        // Half shed, half kept: the rest still relay once the window is over.
        await().pollDelay(Duration.ofSeconds(3)).atMost(TIMEOUT).until(() -> true);
        assertThat(closedAt).hasSize(3);
        for (JdkWebSocketClient client : sessions) {
            if (!closedAt.containsKey(client)) {
                client.sendText("kept");
                assertThat(client.nextText()).isEqualTo("kept");
            }
        }
        long spread = closedAt.values().stream()
                        .mapToLong(Long::longValue)
                        .max()
                        .getAsLong()
                - closedAt.values().stream().mapToLong(Long::longValue).min().getAsLong();
        assertThat(TimeUnit.NANOSECONDS.toMillis(spread))
                .as("closes spread over the window")
                .isPositive();
        assertThat(writes("shed", "done")).isEqualTo(1);
    }

    @Test
    void refusesACodeAGatewayMustNotSendAndBadShedArguments() {
        JdkWebSocketClient client = open("alpha", "bad");
        String id = onlySessionOf("alpha");

        assertThat(management()
                        .send("DELETE", "/actuator/wsgate/" + id + "?code=1005", null)
                        .statusCode())
                .isEqualTo(400);
        assertThat(management()
                        .send(
                                "POST",
                                "/actuator/wsgate",
                                "{\"action\":\"shed\",\"route\":\"alpha\",\"percent\":0,\"window\":\"1s\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(management()
                        .send(
                                "POST",
                                "/actuator/wsgate",
                                "{\"action\":\"shed\",\"route\":\"alpha\",\"percent\":10,\"window\":\"soon\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(management()
                        .send("POST", "/actuator/wsgate", "{\"action\":\"close\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(management()
                        .send("POST", "/actuator/wsgate", "{\"action\":\"explode\"}")
                        .statusCode())
                .isEqualTo(400);

        client.sendText("untouched");
        assertThat(client.nextText()).isEqualTo("untouched");
    }

    private ScriptedBackend.CloseFrame awaitCloseFrame(String tag) {
        await().atMost(TIMEOUT).until(() -> !backend.session(tag).closeFrames().isEmpty());
        return backend.session(tag).closeFrames().get(0);
    }

    /** The id of the route's one open session. */
    private String onlySessionOf(String route) {
        awaitOpen(this.clients.size());
        JsonNode sessions = json(management().send("GET", "/actuator/wsgate?route=" + route, null))
                .get("sessions");
        assertThat(sessions).hasSize(1);
        return sessions.get(0).get("id").asText();
    }

    private void awaitOpen(int count) {
        await().atMost(TIMEOUT)
                .until(() -> json(management().send("GET", "/actuator/wsgate", null))
                                .get("open")
                                .asLong()
                        == count);
    }

    private double writes(String operation, String outcome) {
        return MeterCounts.count(
                this.meters,
                WsgateMeterNames.ADMIN_WRITES,
                WsgateMeterNames.TAG_OPERATION,
                operation,
                WsgateMeterNames.TAG_OUTCOME,
                outcome);
    }

    private double operatorCloses(String route) {
        return MeterCounts.count(
                this.meters,
                WsgateMeterNames.GATEWAY_CLOSES,
                WsgateMeterNames.TAG_ROUTE,
                route,
                WsgateMeterNames.TAG_REASON,
                "operator");
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

    private static JsonNode json(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
