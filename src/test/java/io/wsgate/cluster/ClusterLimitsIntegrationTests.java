package io.wsgate.cluster;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayReplica;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RedisServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateway replicas sharing one real redis-server ({@code wsgate.cluster.store=redis}), handshakes alternated
 * between them as a load balancer spreads them: the global, per-route and per-client session limits and the
 * per-client handshake rate hold for the two together, and places come back when sessions close.
 */
class ClusterLimitsIntegrationTests {

    static RedisServer redis;

    static EchoBackend echo;

    static GatewayReplica a;

    static GatewayReplica b;

    private final List<JdkWebSocketClient> clients = new ArrayList<>();

    @BeforeAll
    static void start() {
        redis = RedisServer.startNew();
        echo = EchoBackend.start();
        String backend = "ws://127.0.0.1:" + echo.port();
        List<String> args = new ArrayList<>(List.of(
                "--wsgate.cluster.store=redis",
                "--wsgate.cluster.heartbeat-ttl=3s",
                "--wsgate.limits.max-sessions=5",
                "--wsgate.limits.retry-after=7s"));
        args.addAll(List.of(redis.properties()));
        args.addAll(GatewayReplica.route(0, "open", backend, "/open/**"));
        args.addAll(GatewayReplica.route(1, "limited", backend, "/limited/**", "max-sessions", "2"));
        args.addAll(GatewayReplica.route(2, "perclient", backend, "/perclient/**", "max-sessions-per-client", "2"));
        args.addAll(GatewayReplica.route(3, "rated", backend, "/rated/**", "handshake-rate-per-client", "3/1h"));
        a = GatewayReplica.start(true, args);
        b = GatewayReplica.start(false, args);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {a, b, echo, redis}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ex) {
                // Closing the rest matters more.
            }
        }
    }

    @AfterEach
    void closeClients() {
        this.clients.forEach(client -> client.close(1000, ""));
        // Every place given back, on both replicas and in Redis, before the next test.
        await().atMost(TIMEOUT).until(() -> a.activeSessions() == 0 && b.activeSessions() == 0);
        await().atMost(TIMEOUT).until(() -> redis.command("EXISTS {wsgate}:sessions:all"), ":0"::equals);
    }

    @Test
    void theGlobalLimitHoldsForAllReplicasTogether() throws IOException {
        for (int i = 0; i < 5; i++) {
            open(i % 2 == 0 ? a : b, "/open/");
        }
        // Each replica holds 3 or 2 of its own limit of 5: only the shared count refuses.
        assertRefused(a, "/open/", 503);
        assertRefused(b, "/open/", 503);

        this.clients.remove(0).close(1000, "");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(JdkWebSocketClient.replyTo(wsUri(b.port(), "/open/"), "room"))
                        .isEqualTo("ROOM"));
    }

    @Test
    void aRoutesLimitHoldsForAllReplicasTogether() throws IOException {
        open(a, "/limited/");
        open(b, "/limited/");

        RawHttp.Response refused = assertRefused(a, "/limited/", 503);
        assertThat(refused.header("Retry-After")).isEqualTo("7");
        assertRefused(b, "/limited/", 503);
        // Other routes still have room.
        assertThat(JdkWebSocketClient.replyTo(wsUri(a.port(), "/open/"), "other"))
                .isEqualTo("OTHER");
    }

    @Test
    void aClientsLimitHoldsForAllReplicasTogether() throws IOException {
        open(b, "/perclient/");
        open(a, "/perclient/");

        assertRefused(a, "/perclient/", 503);
        assertRefused(b, "/perclient/", 503);
        // Another address is another client.
        assertThat(RawHttp.exchange(
                                java.net.InetAddress.getByName("127.0.0.2"),
                                new byte[0],
                                a.port(),
                                RawHttp.upgradeRequest("/perclient/"))
                        .status())
                .isEqualTo(101);
    }

    @Test
    void aClientsHandshakeRateIsOneBucketForAllReplicas() throws IOException {
        JdkWebSocketClient.replyTo(wsUri(a.port(), "/rated/"), "1");
        JdkWebSocketClient.replyTo(wsUri(b.port(), "/rated/"), "2");
        JdkWebSocketClient.replyTo(wsUri(a.port(), "/rated/"), "3");

        RawHttp.Response refused = assertRefused(b, "/rated/", 429);
        // The next token comes in 20 minutes (3 an hour).
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1100L, 1200L);
        assertRefused(a, "/rated/", 429);
    }

    @Test
    void placesComeBackAfterTrafficAndCloses() throws IOException {
        for (int round = 0; round < 3; round++) {
            List<JdkWebSocketClient> held = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri((i % 2 == 0 ? a : b).port(), "/open/"));
                for (int m = 0; m < 20; m++) {
                    client.sendText("m" + m);
                    assertThat(client.nextText()).isEqualTo("M" + m);
                }
                held.add(client);
            }
            assertRefused(round % 2 == 0 ? a : b, "/open/", 503);
            held.forEach(client -> client.close(1000, ""));
            await().atMost(TIMEOUT).until(() -> redis.command("EXISTS {wsgate}:sessions:all"), ":0"::equals);
        }
    }

    private JdkWebSocketClient open(GatewayReplica replica, String path) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(replica.port(), path));
        this.clients.add(client);
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("HELLO");
        return client;
    }

    private static RawHttp.Response assertRefused(GatewayReplica replica, String path, int status) throws IOException {
        RawHttp.Response response = RawHttp.exchange(replica.port(), RawHttp.upgradeRequest(path));
        assertThat(response.status()).as("handshake on %s", path).isEqualTo(status);
        return response;
    }
}
