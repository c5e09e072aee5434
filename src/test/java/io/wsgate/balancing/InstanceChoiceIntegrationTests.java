package io.wsgate.balancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code lb-policy} on real {@code lb:ws://} routes over three real backends: {@code least-sessions} fills the
 * emptiest instance, also after sessions on one instance ended; {@code hash} sends every session with the same key to
 * the same instance and spreads different keys; {@code round-robin} takes turns.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class InstanceChoiceIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final List<ScriptedBackend> backends = new ArrayList<>();

    private final List<JdkWebSocketClient> clients = new ArrayList<>();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        for (int i = 0; i < 3; i++) {
            ScriptedBackend backend = ScriptedBackend.start();
            backends.add(backend);
            registry.add(
                    "spring.cloud.discovery.client.simple.instances.pool[" + i + "].uri",
                    () -> "http://127.0.0.1:" + backend.port());
        }
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("least", "lb:ws://pool", "/least/**").metadata("lb-policy", "least-sessions");
        routes.add("sticky", "lb:ws://pool", "/sticky/**")
                .metadata("lb-policy", "hash")
                .metadata("hash-key", "header:X-User");
        routes.add("turns", "lb:ws://pool", "/turns/**");
    }

    @AfterAll
    static void stopBackends() {
        backends.forEach(ScriptedBackend::close);
    }

    @AfterEach
    void closeClients() {
        this.clients.forEach(client -> client.close(1000, ""));
        await().atMost(TIMEOUT).until(() -> backends.stream().allMatch(backend -> backend.openSessions() == 0));
    }

    @Test
    void leastSessionsFillsTheEmptiestInstance() {
        List<Integer> onBackend = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            List<Integer> before = openPerBackend();
            this.clients.add(connect("/least/x", null));
            awaitOpen(i + 1);
            onBackend.add(changedBackend(before, openPerBackend()));
        }
        assertThat(openPerBackend()).containsExactly(2, 2, 2);

        // Both sessions on the first client's instance end: the next two sessions go there.
        int emptied = onBackend.get(0);
        for (int i = this.clients.size() - 1; i >= 0; i--) {
            if (onBackend.get(i) == emptied) {
                this.clients.remove(i).close(1000, "");
            }
        }
        awaitOpen(4);
        // Past the two seconds in which a choice still counts against its instance as a handshake under way.
        await().pollDelay(Duration.ofMillis(2100)).atMost(TIMEOUT).until(() -> true);
        for (int i = 0; i < 2; i++) {
            List<Integer> before = openPerBackend();
            this.clients.add(connect("/least/x", null));
            awaitOpen(5 + i);
            assertThat(changedBackend(before, openPerBackend())).isEqualTo(emptied);
        }
        assertThat(openPerBackend()).containsExactly(2, 2, 2);
    }

    @Test
    void hashSendsTheSameKeyToTheSameInstanceAndSpreadsKeys() {
        Set<Integer> usedByAlice = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            List<Integer> before = openPerBackend();
            JdkWebSocketClient client = connect("/sticky/x", "alice");
            client.sendText("hi");
            assertThat(client.nextText()).isEqualTo("hi");
            usedByAlice.add(changedBackend(before, openPerBackend()));
            this.clients.add(client);
        }
        assertThat(usedByAlice).hasSize(1);

        Set<Integer> usedByMany = new HashSet<>();
        for (int user = 0; user < 30; user++) {
            List<Integer> before = openPerBackend();
            JdkWebSocketClient client = connect("/sticky/x", "user-" + user);
            client.sendText("hi");
            assertThat(client.nextText()).isEqualTo("hi");
            usedByMany.add(changedBackend(before, openPerBackend()));
            this.clients.add(client);
        }
        // 30 keys over 3 instances: all three get some (the chance that a good hash leaves one out is ~2e-5).
        assertThat(usedByMany).hasSize(3);
    }

    @Test
    void roundRobinTakesTurns() {
        for (int i = 0; i < 6; i++) {
            this.clients.add(connect("/turns/x", null));
            awaitOpen(i + 1);
        }
        assertThat(openPerBackend()).containsExactly(2, 2, 2);
    }

    private int changedBackend(List<Integer> before, List<Integer> after) {
        return IntStream.range(0, before.size())
                .filter(i -> after.get(i) > before.get(i))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no backend gained a session: " + before + " -> " + after));
    }

    private void awaitOpen(int count) {
        await().atMost(TIMEOUT)
                .until(() ->
                        openPerBackend().stream().mapToInt(Integer::intValue).sum() == count);
    }

    private List<Integer> openPerBackend() {
        return backends.stream().map(ScriptedBackend::openSessions).toList();
    }

    private JdkWebSocketClient connect(String path, String user) {
        URI uri = URI.create("ws://127.0.0.1:" + this.port + path);
        return user == null
                ? JdkWebSocketClient.connect(uri)
                : JdkWebSocketClient.connectWithHeader(uri, "X-User", user);
    }
}
