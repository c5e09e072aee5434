package io.wsgate.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.Haproxy;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.RecordingBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * wsgate as deployed: three replica processes behind a real HAProxy (PROXY protocol v2 to the replicas, health checks
 * on {@code /readyz}), relaying to an echo backend process that is none of them. Clients connect from their own
 * loopback addresses (127.0.0.0/8 all reaches {@code lo} on Linux), so the address a replica shows can only have
 * come through the PROXY header, not from HAProxy's own connection (127.0.0.1). The SIGTERM test takes a replica
 * away, so it runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoadBalancerIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final Duration DRAIN_WINDOW = Duration.ofSeconds(5);

    private static final List<String> REPLICA_JVM = List.of("-Xmx128m", "-XX:TieredStopAtLevel=1");

    private final List<JavaProcess> processes = new ArrayList<>();

    private final Map<String, Haproxy.Server> servers = new HashMap<>();

    private final Map<String, JavaProcess> replicas = new HashMap<>();

    private Haproxy haproxy;

    private JavaProcess untrusting;

    private Haproxy.Server untrustingServer;

    private Haproxy untrustingHaproxy;

    @BeforeAll
    void startReplicasBehindHaproxy() {
        Haproxy.assumeInstalled();
        int backendPort = FreePorts.next();
        this.processes.add(RecordingBackend.start("lb-echo", backendPort));
        String backend = "ws://127.0.0.1:" + backendPort;
        List<Haproxy.Server> list = new ArrayList<>();
        for (String name : List.of("r1", "r2", "r3")) {
            Haproxy.Server server = new Haproxy.Server(name, FreePorts.next(), FreePorts.next());
            JavaProcess replica = JavaProcess.gateway(
                    "lb",
                    backend,
                    server.port(),
                    server.managementPort(),
                    REPLICA_JVM,
                    "--wsgate.forwarded.proxy-protocol=on",
                    "--wsgate.forwarded.trusted-proxies=127.0.0.1/32",
                    "--wsgate.shutdown.drain-window=" + DRAIN_WINDOW.toMillis() + "ms");
            this.processes.add(replica);
            this.replicas.put(name, replica);
            this.servers.put(name, server);
            list.add(server);
        }
        // A replica that reads PROXY headers only from 10.0.0.0/8: HAProxy on loopback is not one of its proxies.
        Haproxy.Server untrustingServer = new Haproxy.Server("u1", FreePorts.next(), FreePorts.next());
        this.untrustingServer = untrustingServer;
        this.untrusting = JavaProcess.gateway(
                "lb",
                backend,
                untrustingServer.port(),
                untrustingServer.managementPort(),
                REPLICA_JVM,
                "--wsgate.forwarded.proxy-protocol=auto",
                "--wsgate.forwarded.trusted-proxies=10.0.0.0/8");
        this.processes.add(this.untrusting);
        for (JavaProcess process : this.processes) {
            if (process != this.processes.get(0)) {
                process.awaitStarted();
            }
        }
        this.haproxy = Haproxy.start(Haproxy.workDir("lb"), list);
        this.untrustingHaproxy = Haproxy.start(Haproxy.workDir("lb-untrusted"), List.of(untrustingServer));
        for (String name : List.of("r1", "r2", "r3")) {
            this.haproxy.awaitStatus(name, "UP", TIMEOUT);
        }
        this.untrustingHaproxy.awaitStatus("u1", "UP", TIMEOUT);
    }

    @AfterAll
    void stopAll() {
        if (this.haproxy != null) {
            this.haproxy.close();
        }
        if (this.untrustingHaproxy != null) {
            this.untrustingHaproxy.close();
        }
        this.processes.forEach(JavaProcess::close);
    }

    @Test
    @Order(1)
    void sessionsThroughHaproxyRelayBothWaysAndSpreadOverEveryReplica() {
        List<RawWebSocket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                RawWebSocket client = RawWebSocket.connect(this.haproxy.port(), "/lb/?t=spread-" + i);
                clients.add(client);
                assertThat(client.handshake().status()).isEqualTo(101);
                client.sendText("hello " + i);
                assertThat(client.readFrame().text()).isEqualTo("hello " + i);
            }
            Map<String, Double> held = new HashMap<>();
            this.servers.forEach((name, server) -> held.put(name, activeSessions(server)));
            // leastconn over sessions that all stay open gives 10 each, unless a slow health check on a loaded
            // machine took a replica out for a moment: every replica has some.
            assertThat(held).containsOnlyKeys("r1", "r2", "r3");
            assertThat(held.values()).allSatisfy(count -> assertThat(count).isPositive());
            assertThat(held.values().stream().mapToDouble(Double::doubleValue).sum())
                    .isEqualTo(30.0);
            for (RawWebSocket client : clients) {
                client.sendClose(1000, "done");
                assertThat(client.awaitClose().closeCode()).isEqualTo(1000);
            }
        } finally {
            clients.forEach(RawWebSocket::close);
        }
    }

    @Test
    @Order(2)
    void theClientsOwnAddressReachesTheReplicaThroughProxyProtocolV2() {
        try (RawWebSocket client = RawWebSocket.connectFrom("127.0.0.7", this.haproxy.port(), "/lb/?t=proxy")) {
            assertThat(client.handshake().status()).isEqualTo(101);
            client.sendText("who am i");
            assertThat(client.readFrame().text()).isEqualTo("who am i");
            String shown = this.servers.values().stream()
                    .map(server -> new ManagementPort(server.managementPort()).get("/actuator/wsgate?route=lb"))
                    .reduce("", String::concat);
            assertThat(shown).contains("\"client\":\"127.0.0.7:").doesNotContain("\"client\":\"127.0.0.1:");
            client.sendClose(1000, "done");
            assertThat(client.awaitClose().closeCode()).isEqualTo(1000);
        }
    }

    @Test
    @Order(3)
    void aReplicaThatDoesNotTrustTheBalancerClosesItsProxiedConnectionsAndSaysWhy() {
        try (RawWebSocket client =
                RawWebSocket.connectFrom("127.0.0.8", this.untrustingHaproxy.port(), "/lb/?t=untrusted")) {
            // The replica closes the connection at its PROXY header; HAProxy answers for the missing response.
            assertThat(client.handshake().status()).isEqualTo(502);
        }
        this.untrusting.awaitOutput("Closed the connection from untrusted peer /127.0.0.1:", TIMEOUT);
        assertThat(new ManagementPort(this.untrustingServer.managementPort()).sum("wsgate_sessions_opened_total"))
                .isZero();
    }

    @Test
    @Order(4)
    void aReplicaSentSigtermLeavesRotationAndItsSessionsMoveToTheOthers() {
        List<RawWebSocket> clients = new ArrayList<>();
        try {
            // Each client from its own address, so that a replica's session list says whose sessions it holds.
            for (int i = 0; i < 12; i++) {
                RawWebSocket client = RawWebSocket.connectFrom(source(i), this.haproxy.port(), "/lb/?t=drain-" + i);
                clients.add(client);
                assertThat(client.handshake().status()).isEqualTo(101);
                client.sendText("before " + i);
                assertThat(client.readFrame().text()).isEqualTo("before " + i);
            }
            String heldByR3 =
                    new ManagementPort(this.servers.get("r3").managementPort()).get("/actuator/wsgate?route=lb");
            List<Integer> onR3 = IntStream.range(0, clients.size())
                    .filter(i -> heldByR3.contains("\"client\":\"" + source(i) + ":"))
                    .boxed()
                    .toList();
            assertThat(onR3).isNotEmpty();

            JavaProcess r3 = this.replicas.get("r3");
            r3.signal("TERM");
            // Out of rotation because /readyz answered 503 (an L7 check status), not because the port went away.
            this.haproxy.awaitStatus("r3", "DOWN", TIMEOUT);
            assertThat(this.haproxy.serverField("r3", "check_status")).isEqualTo("L7STS");
            assertThat(this.haproxy.serverField("r3", "check_code")).isEqualTo("503");
            String r3Total = this.haproxy.serverField("r3", "stot");

            for (int i : onR3) {
                RawWebSocket.Frame close = clients.get(i).awaitClose();
                assertThat(close.closeCode()).as("client %d", i).isEqualTo(1001);
                // The client reconnects through the balancer and lands on a replica still in rotation.
                RawWebSocket again = RawWebSocket.connectFrom(source(i), this.haproxy.port(), "/lb/?t=again-" + i);
                clients.add(again);
                assertThat(again.handshake().status()).isEqualTo(101);
                again.sendText("after " + i);
                assertThat(again.readFrame().text()).isEqualTo("after " + i);
            }
            assertThat(this.haproxy.serverField("r3", "stot")).isEqualTo(r3Total);
            assertThat(r3.awaitExit(Duration.ofSeconds(60))).isZero();
            // The sessions of the other replicas were not touched.
            for (int i = 0; i < 12; i++) {
                if (!onR3.contains(i)) {
                    clients.get(i).sendText("still " + i);
                    assertThat(clients.get(i).readFrame().text()).isEqualTo("still " + i);
                }
            }
            double r1 = activeSessions(this.servers.get("r1"));
            double r2 = activeSessions(this.servers.get("r2"));
            assertThat(r1 + r2).isEqualTo(12.0);
        } finally {
            clients.forEach(RawWebSocket::close);
        }
    }

    private static String source(int client) {
        return "127.0.0." + (20 + client);
    }

    private static double activeSessions(Haproxy.Server server) {
        return new ManagementPort(server.managementPort()).sum("wsgate_sessions_active", "route=\"lb\"");
    }
}
