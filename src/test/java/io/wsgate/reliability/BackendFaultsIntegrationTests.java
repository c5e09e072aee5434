package io.wsgate.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.RecordingBackend;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Faults of a real backend process behind a gateway: killed with SIGKILL mid-stream, restarted on the same port,
 * stalled with SIGSTOP under a flood from its client; and clients that vanish without a close. Each route has a
 * backend process of its own ({@link RecordingBackend}: a plain Reactor Netty echo that starts in a second), so
 * the faults don't mix.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "management.defaults.metrics.export.enabled=true",
            "management.prometheus.metrics.export.enabled=true",
            "wsgate.health.interval=500ms",
            "wsgate.health.timeout=2s"
        })
class BackendFaultsIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final int KILLED_PORT = FreePorts.next();

    private static final int RESTARTED_PORT = FreePorts.next();

    private static final int STALLED_PORT = FreePorts.next();

    private static final int RECORDING_PORT = FreePorts.next();

    private static EchoBackend healthy;

    private static JavaProcess killed;

    private static JavaProcess restarted;

    private static JavaProcess stalled;

    private static JavaProcess recording;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        healthy = EchoBackend.start();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("killed", "ws://127.0.0.1:" + KILLED_PORT, "/killed/**");
        routes.add("restarted", "ws://127.0.0.1:" + RESTARTED_PORT, "/restarted/**");
        routes.add("stalled", "ws://127.0.0.1:" + STALLED_PORT, "/stalled/**");
        routes.add("vanishing", "ws://127.0.0.1:" + RECORDING_PORT, "/vanishing/**");
        routes.add("healthy", "ws://127.0.0.1:" + healthy.port(), "/healthy/**");
    }

    @BeforeAll
    static void startBackendProcesses() {
        killed = RecordingBackend.start("killed-backend", KILLED_PORT);
        restarted = RecordingBackend.start("restarted-backend", RESTARTED_PORT);
        stalled = RecordingBackend.start("stalled-backend", STALLED_PORT);
        recording = RecordingBackend.start("vanishing-backend", RECORDING_PORT);
    }

    @AfterAll
    static void stopBackends() {
        Stream.of(killed, restarted, stalled, recording).forEach(JavaProcess::close);
        healthy.close();
    }

    private URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + this.port + path);
    }

    @Test
    void aBackendKilledMidStreamClosesEveryClientWith1011AndTheRouteGoesDown() throws Exception {
        awaitRoute("killed", "UP");
        List<JdkWebSocketClient> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/killed/"));
            client.sendText("before " + i);
            assertThat(client.nextText()).isEqualTo("before " + i);
            clients.add(client);
        }
        // Mid-stream: half the clients keep sending while the backend dies, half are between messages.
        List<JdkWebSocketClient> between = clients.subList(0, 5);
        List<JdkWebSocketClient> sending = clients.subList(5, 10);
        try (BackgroundTraffic ignored = BackgroundTraffic.start(sending, 20)) {
            killed.kill();
            for (JdkWebSocketClient client : between) {
                assertThat(client.awaitClose().code()).isEqualTo(1011);
            }
            for (JdkWebSocketClient client : sending) {
                assertThat(BackgroundTraffic.closeOrReset(client)).isEqualTo(1011);
            }
        }
        await().atMost(TIMEOUT)
                .until(() -> closedByBackend("killed", "1006") + closedByBackend("killed", "1011") == 10);
        assertThat(active("killed")).isZero();
        awaitRoute("killed", "DOWN");
    }

    @Test
    void aBackendRestartedOnTheSamePortServesNewSessionsWithoutAGatewayRestart() {
        awaitRoute("restarted", "UP");
        JdkWebSocketClient before = JdkWebSocketClient.connect(uri("/restarted/"));
        before.sendText("first life");
        assertThat(before.nextText()).isEqualTo("first life");

        restarted.kill();
        assertThat(before.awaitClose().code()).isEqualTo(1011);
        awaitRoute("restarted", "DOWN");

        restarted = RecordingBackend.start("restarted-backend-again", RESTARTED_PORT);
        awaitRoute("restarted", "UP");
        assertThat(JdkWebSocketClient.replyTo(uri("/restarted/"), "second life"))
                .isEqualTo("second life");
        await().atMost(TIMEOUT).until(() -> active("restarted") == 0);
    }

    @Test
    void aStalledBackendPushesBackOnTheSenderWhileGatewayMemoryStaysBounded() throws Exception {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/stalled/"));
        client.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(client.nextMessage()).isInstanceOf(ByteBuffer.class);
        long directBefore = PlatformDependent.usedDirectMemory();
        long heapBefore = heapAfterGc();

        stalled.signal("STOP");
        byte[] chunk = new byte[64 * 1024];
        long limit = 1L << 30;
        long accepted = 0;
        CompletableFuture<?> blocked = null;
        long peakDirect = directBefore;
        while (accepted < limit) {
            CompletableFuture<?> send = client.webSocket().sendBinary(ByteBuffer.wrap(chunk), true);
            try {
                send.get(5, TimeUnit.SECONDS);
                accepted += chunk.length;
                peakDirect = Math.max(peakDirect, PlatformDependent.usedDirectMemory());
            } catch (TimeoutException ex) {
                blocked = send;
                break;
            }
        }
        long heapStalled = heapAfterGc();
        long directStalled = PlatformDependent.usedDirectMemory();
        System.out.printf(
                "STALL accepted=%dMiB direct before=%dMiB peak=%dMiB stalled=%dMiB heap before=%dMiB stalled=%dMiB%n",
                accepted >> 20,
                directBefore >> 20,
                peakDirect >> 20,
                directStalled >> 20,
                heapBefore >> 20,
                heapStalled >> 20);

        // The sender is held back: its send does not complete while the backend reads nothing.
        assertThat(blocked).as("a send held back after %d MiB", accepted >> 20).isNotNull();
        assertThat(accepted).isLessThan(128L << 20);
        // The gateway did not buffer the flood: no more than a few frames in flight besides the socket buffers.
        assertThat(Math.max(peakDirect, directStalled) - directBefore).isLessThan(64L << 20);
        assertThat(heapStalled - heapBefore).isLessThan(64L << 20);
        // Everyone else carries on.
        assertThat(JdkWebSocketClient.replyTo(uri("/healthy/"), "still here")).isEqualTo("STILL HERE");

        stalled.signal("CONT");
        blocked.get(30, TimeUnit.SECONDS);
        long expected = accepted + chunk.length;
        long echoed = 0;
        while (echoed < expected) {
            echoed += ((ByteBuffer) client.nextMessage()).remaining();
        }
        // Nothing held back was lost: every byte comes back once the backend reads again.
        assertThat(echoed).isEqualTo(expected);
        assertThat(client.close(1000, "").code()).isEqualTo(1000);
    }

    @Test
    void aClientThatResetsItsConnectionGetsItsBackendLegClosedWith1001() throws Exception {
        try (Socket socket = UpgradedSockets.open(this.port, "/vanishing/?t=rst")) {
            recording.awaitOutput("open /?t=rst", TIMEOUT);
            socket.setSoLinger(true, 0); // close() sends RST
        }
        recording.awaitOutput("close /?t=rst 1001", TIMEOUT);
        recording.awaitOutput("gone /?t=rst", TIMEOUT);
    }

    @Test
    void aClientThatClosesItsSocketWithoutACloseFrameGetsItsBackendLegClosedWith1001() throws Exception {
        try (Socket socket = UpgradedSockets.open(this.port, "/vanishing/?t=fin")) {
            recording.awaitOutput("open /?t=fin", TIMEOUT);
        }
        recording.awaitOutput("close /?t=fin 1001", TIMEOUT);
        recording.awaitOutput("gone /?t=fin", TIMEOUT);
        await().atMost(TIMEOUT).until(() -> active("vanishing") == 0);
        assertThat(closedBy("vanishing", "client")).isPositive();
    }

    private void awaitRoute(String route, String status) {
        ManagementPort management = new ManagementPort(this.managementPort);
        await().atMost(Duration.ofSeconds(60))
                .until(() ->
                        management.get("/actuator/health/routes/" + route).contains("\"status\":\"" + status + "\""));
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private double active(String route) {
        return this.registry.find(WsgateMeterNames.SESSIONS_ACTIVE).tag("route", route).gauges().stream()
                .mapToDouble(gauge -> gauge.value())
                .sum();
    }

    private double closedByBackend(String route, String code) {
        return counter(WsgateMeterNames.SESSIONS_CLOSED, "route", route, "closed.by", "backend", "close.code", code);
    }

    private double closedBy(String route, String side) {
        return counter(WsgateMeterNames.SESSIONS_CLOSED, "route", route, "closed.by", side);
    }

    private double counter(String name, String... tags) {
        return this.registry.find(name).tags(tags).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }
}
