package io.wsgate.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RecordingBackend;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Faults that need the gateway as a process of its own: a SIGTERM while sessions carry traffic, and a client
 * that stays connected but silent (never answers a ping). The backend is a {@link RecordingBackend} process,
 * whose output shows what reached the backend end of each session.
 */
class GatewayProcessFaultsIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Keepalive settings of the gateway under test: a ping every second, an answer due within two. */
    private static final Duration PING_INTERVAL = Duration.ofSeconds(1);

    private static final Duration PONG_TIMEOUT = Duration.ofSeconds(2);

    @Test
    void sigtermUnderLoadClosesEveryClientWith1001AndEveryBackendLeg() throws Exception {
        int backendPort = FreePorts.next();
        int port = FreePorts.next();
        try (JavaProcess backend = RecordingBackend.start("drain-backend", backendPort);
                JavaProcess gateway = JavaProcess.gateway(
                                "drain", "ws://127.0.0.1:" + backendPort, port, FreePorts.next(), List.of())
                        .awaitStarted()) {
            List<JdkWebSocketClient> clients = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                JdkWebSocketClient client =
                        JdkWebSocketClient.connect(URI.create("ws://127.0.0.1:" + port + "/drain/?t=" + i));
                client.sendText("hello " + i);
                assertThat(client.nextText()).isEqualTo("hello " + i);
                clients.add(client);
            }
            // Under load: half the clients keep sending, half are between messages.
            List<JdkWebSocketClient> between = clients.subList(0, 25);
            List<JdkWebSocketClient> sending = clients.subList(25, 50);
            try (BackgroundTraffic ignored = BackgroundTraffic.start(sending, 20)) {
                gateway.signal("TERM");
                for (JdkWebSocketClient client : between) {
                    assertThat(client.awaitClose().code()).isEqualTo(1001);
                }
                for (JdkWebSocketClient client : sending) {
                    // 1001 even while sending: no TCP reset swallows it (see BackgroundTraffic.closeOrReset).
                    assertThat(BackgroundTraffic.closeOrReset(client)).isEqualTo(1001);
                }
            }
            // No half-open backend legs: each got a close frame, then its connection ended.
            for (int i = 0; i < clients.size(); i++) {
                backend.awaitOutput("close /?t=" + i + " 1001", TIMEOUT);
                backend.awaitOutput("gone /?t=" + i + "\n", TIMEOUT);
            }
            gateway.awaitExit(Duration.ofSeconds(90));
        }
    }

    @Test
    void aClientThatNeverAnswersPingsHasItsSessionClosedWithinTheKeepaliveBound() throws Exception {
        int backendPort = FreePorts.next();
        int port = FreePorts.next();
        try (JavaProcess backend = RecordingBackend.start("keepalive-backend", backendPort);
                JavaProcess gateway = JavaProcess.gateway(
                                "quiet",
                                "ws://127.0.0.1:" + backendPort,
                                port,
                                FreePorts.next(),
                                List.of(),
                                "--wsgate.session.ping-interval=" + PING_INTERVAL.toMillis() + "ms",
                                "--wsgate.session.pong-timeout=" + PONG_TIMEOUT.toMillis() + "ms")
                        .awaitStarted()) {
            // A quiet client that answers pings (the JDK client does) keeps its session.
            JdkWebSocketClient quiet =
                    JdkWebSocketClient.connect(URI.create("ws://127.0.0.1:" + port + "/quiet/?t=ok"));
            // A silent one: connected, reads nothing, answers nothing.
            try (Socket silent = UpgradedSockets.open(port, "/quiet/?t=silent")) {
                backend.awaitOutput("open /?t=silent", TIMEOUT);
                Duration bound = PING_INTERVAL.plus(PONG_TIMEOUT).plusSeconds(10);
                backend.awaitOutput("close /?t=silent ", bound);
                backend.awaitOutput("gone /?t=silent", TIMEOUT);
            }
            quiet.sendText("still here");
            assertThat(quiet.nextText()).isEqualTo("still here");
            assertThat(backend.outputLines("close /?t=ok ")).isEmpty();
            quiet.close(1000, "");
        }
    }
}
