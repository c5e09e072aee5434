package io.wsgate.cluster;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayReplica;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RedisServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Redis stopped under load and started again: meanwhile each replica admits by its own limits (fail open), counts
 * the failed calls and says so once; afterwards the heartbeat writes each replica's sessions back and the shared
 * limit holds again, with no session opened or closed in between.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisOutageIntegrationTests {

    private RedisServer redis;

    private EchoBackend echo;

    private GatewayReplica a;

    private GatewayReplica b;

    private final List<JdkWebSocketClient> onA = new ArrayList<>();

    private final List<JdkWebSocketClient> onB = new ArrayList<>();

    @BeforeEach
    void start() {
        this.redis = RedisServer.startNew();
        this.echo = EchoBackend.start();
        List<String> args = new ArrayList<>(List.of(
                "--wsgate.cluster.store=redis",
                "--wsgate.cluster.heartbeat-ttl=3s",
                "--wsgate.cluster.timeout=250ms",
                "--wsgate.limits.max-sessions=2",
                // Lettuce reconnects with a backoff; a short connect timeout keeps each attempt short.
                "--spring.data.redis.connect-timeout=500ms"));
        args.addAll(List.of(this.redis.properties()));
        args.addAll(GatewayReplica.route(0, "open", "ws://127.0.0.1:" + this.echo.port(), "/open/**"));
        this.a = GatewayReplica.start(true, args);
        this.b = GatewayReplica.start(false, args);
    }

    @AfterEach
    void stop() {
        this.onA.forEach(client -> client.close(1000, ""));
        this.onB.forEach(client -> client.close(1000, ""));
        for (AutoCloseable closeable : new AutoCloseable[] {this.a, this.b, this.echo, this.redis}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ex) {
                // Closing the rest matters more.
            }
        }
    }

    @Test
    void withoutRedisEachReplicaKeepsItsOwnLimitAndSharesAgainWhenRedisIsBack(CapturedOutput output)
            throws IOException {
        this.onA.add(open(this.a));
        this.onB.add(open(this.b));
        assertThat(handshake(this.a)).as("shared limit of 2 reached").isEqualTo(503);

        this.redis.stop();
        // Open sessions go on relaying; new handshakes during the outage: each replica admits up to its own limit of
        // 2, and no further.
        this.onA.get(0).sendText("during");
        assertThat(this.onA.get(0).nextText()).isEqualTo("DURING");
        this.onA.add(open(this.a));
        this.onB.add(open(this.b));
        assertThat(handshake(this.a)).isEqualTo(503);
        assertThat(handshake(this.b)).isEqualTo(503);
        assertThat(errors(this.a)).isPositive();
        assertThat(errors(this.b)).isPositive();
        assertThat(up(this.a)).isZero();
        for (int i = 0; i < 5; i++) {
            handshake(this.a);
        }
        // One WARN per replica and outage, however many calls failed.
        assertThat(lines(output, "Cluster store (Redis) failed")).hasSize(2);

        this.redis.start();
        await().atMost(TIMEOUT)
                .until(() ->
                        lines(output, "Cluster store (Redis) answers again").size() == 2);
        // Redis came back empty; the heartbeats wrote both replicas' 2 sessions back: 4 of a limit of 2.
        await().atMost(TIMEOUT).until(() -> this.redis.command("HLEN {wsgate}:sessions:all"), ":2"::equals);
        assertThat(up(this.a)).isEqualTo(1);

        // Replica a alone would have room again; the shared count (b's 2) says no.
        this.onA.forEach(client -> client.close(1000, ""));
        this.onA.clear();
        await().atMost(TIMEOUT).until(() -> this.a.activeSessions() == 0);
        assertThat(handshake(this.a)).isEqualTo(503);

        this.onB.remove(0).close(1000, "");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(JdkWebSocketClient.replyTo(wsUri(this.a.port(), "/open/"), "back"))
                        .isEqualTo("BACK"));
    }

    private static JdkWebSocketClient open(GatewayReplica replica) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(replica.port(), "/open/"));
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("HELLO");
        return client;
    }

    private static int handshake(GatewayReplica replica) throws IOException {
        return RawHttp.exchange(replica.port(), RawHttp.upgradeRequest("/open/"))
                .status();
    }

    private static double errors(GatewayReplica replica) {
        return MeterCounts.count(replica.meters(), WsgateMeterNames.CLUSTER_STORE_ERRORS);
    }

    private static double up(GatewayReplica replica) {
        return replica.meters().get(WsgateMeterNames.CLUSTER_STORE_UP).gauge().value();
    }

    private static List<String> lines(CapturedOutput output, String text) {
        return output.getOut().lines().filter(line -> line.contains(text)).toList();
    }
}
