package io.wsgate.cluster;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayReplica;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replica killed with SIGKILL while it holds places of a shared limit cleans nothing up; its heartbeat key expires
 * after {@code wsgate.cluster.heartbeat-ttl} and the other replicas stop counting its sessions: no slot leaks.
 */
class ReplicaCrashIntegrationTests {

    private final List<AutoCloseable> started = new ArrayList<>();

    private final List<JdkWebSocketClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        this.clients.forEach(JdkWebSocketClient::abort);
        for (int i = this.started.size() - 1; i >= 0; i--) {
            try {
                this.started.get(i).close();
            } catch (Exception ex) {
                // Closing the rest matters more.
            }
        }
    }

    @Test
    void aKilledReplicasPlacesComeBackWithinTheHeartbeatTtl() {
        RedisServer redis = started(RedisServer.startNew());
        EchoBackend echo = started(EchoBackend.start());
        String backend = "ws://127.0.0.1:" + echo.port();
        List<String> shared = new ArrayList<>(List.of(
                "--wsgate.cluster.store=redis", "--wsgate.cluster.heartbeat-ttl=3s", "--wsgate.limits.max-sessions=3"));
        shared.addAll(List.of(redis.properties()));

        int crashingPort = FreePorts.next();
        JavaProcess crashing = started(JavaProcess.gateway(
                "ws", backend, crashingPort, FreePorts.next(), List.of("-Xmx256m"), shared.toArray(String[]::new)));
        List<String> survivorArgs = new ArrayList<>(shared);
        survivorArgs.addAll(GatewayReplica.route(0, "ws", backend, "/ws/**"));
        GatewayReplica survivor = started(GatewayReplica.start(true, survivorArgs));
        crashing.awaitStarted();

        open(crashingPort);
        open(crashingPort);
        open(survivor.port());
        assertThat(handshake(survivor.port())).as("3 of 3 places taken").isEqualTo(503);

        crashing.signal("KILL");
        crashing.awaitExit(Duration.ofSeconds(30));
        // Its clients' connections are gone with it; its counts stay in Redis until its heartbeat key expires (3 s).
        await().atMost(TIMEOUT).until(() -> handshakeAndHold(survivor.port()));
        open(survivor.port());
        assertThat(handshake(survivor.port()))
                .as("the survivor's 3 places taken")
                .isEqualTo(503);
    }

    private void open(int port) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(port, "/ws/"));
        this.clients.add(client);
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("HELLO");
    }

    /** Whether a session could be opened (it is kept open). */
    private boolean handshakeAndHold(int port) {
        try {
            open(port);
            return true;
        } catch (RuntimeException refused) {
            return false;
        }
    }

    private static int handshake(int port) {
        try {
            return RawHttp.exchange(port, RawHttp.upgradeRequest("/ws/")).status();
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private <T extends AutoCloseable> T started(T closeable) {
        this.started.add(closeable);
        return closeable;
    }
}
