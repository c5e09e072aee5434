package io.wsgate.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.Haproxy;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.RecordingBackend;
import io.wsgate.support.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The shared limits as deployed: three replica processes with {@code wsgate.cluster.store=redis} on one real
 * {@code redis-server}, behind a real HAProxy that spreads the handshakes ({@code leastconn}, PROXY protocol v2). Each
 * replica alone would let in the whole limit, so every refusal here can only come from the shared counts; and the
 * per-client limit sees the client's own address only through the PROXY header.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterLimitsBehindHaproxyIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final int MAX_SESSIONS = 5;

    private static final int MAX_SESSIONS_PER_CLIENT = 2;

    private final List<JavaProcess> processes = new ArrayList<>();

    private final List<Haproxy.Server> servers = new ArrayList<>();

    private final List<RawWebSocket> clients = new ArrayList<>();

    private RedisServer redis;

    private Haproxy haproxy;

    @BeforeAll
    void startReplicasOnRedisBehindHaproxy() {
        Haproxy.assumeInstalled();
        this.redis = RedisServer.startNew();
        int backendPort = FreePorts.next();
        JavaProcess echo = RecordingBackend.start("cluster-lb-echo", backendPort);
        this.processes.add(echo);
        List<JavaProcess> replicas = new ArrayList<>();
        for (String name : List.of("c1", "c2", "c3")) {
            Haproxy.Server server = new Haproxy.Server(name, FreePorts.next(), FreePorts.next());
            List<String> args = new ArrayList<>(List.of(
                    "--wsgate.forwarded.proxy-protocol=on",
                    "--wsgate.forwarded.trusted-proxies=127.0.0.1/32",
                    "--wsgate.cluster.store=redis",
                    "--wsgate.limits.max-sessions=" + MAX_SESSIONS,
                    "--wsgate.limits.max-sessions-per-client=" + MAX_SESSIONS_PER_CLIENT));
            args.addAll(List.of(this.redis.properties()));
            JavaProcess replica = JavaProcess.gateway(
                    "lb",
                    "ws://127.0.0.1:" + backendPort,
                    server.port(),
                    server.managementPort(),
                    List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"),
                    args.toArray(String[]::new));
            this.processes.add(replica);
            replicas.add(replica);
            this.servers.add(server);
        }
        replicas.forEach(JavaProcess::awaitStarted);
        this.haproxy = Haproxy.start(Haproxy.workDir("cluster-lb"), this.servers);
        for (Haproxy.Server server : this.servers) {
            this.haproxy.awaitStatus(server.name(), "UP", TIMEOUT);
        }
    }

    @AfterEach
    void closeClients() {
        for (RawWebSocket client : this.clients) {
            client.close();
        }
        this.clients.clear();
        // The replicas count a session out when its close is done; wait until none holds one.
        org.awaitility.Awaitility.await()
                .atMost(TIMEOUT)
                .until(() -> this.servers.stream()
                                .mapToDouble(ClusterLimitsBehindHaproxyIntegrationTests::activeSessions)
                                .sum()
                        == 0);
    }

    @AfterAll
    void stopAll() {
        if (this.haproxy != null) {
            this.haproxy.close();
        }
        this.processes.forEach(JavaProcess::close);
        if (this.redis != null) {
            this.redis.stop();
        }
    }

    @Test
    void theGatewayLimitHoldsForTheReplicasTogether() {
        for (int i = 0; i < MAX_SESSIONS; i++) {
            // A client address each, so that only the gateway-wide limit can refuse.
            open("127.0.1." + (10 + i), "all-" + i);
        }
        Map<String, Double> held = heldPerReplica();
        assertThat(held.values())
                .as("sessions per replica %s", held)
                .filteredOn(n -> n > 0)
                .hasSizeGreaterThan(1);
        assertThat(held.values()).allSatisfy(n -> assertThat(n).isLessThan(MAX_SESSIONS));

        RawWebSocket refused = connect("127.0.1.50", "all-over");
        assertThat(refused.handshake().status())
                .as("the %dth session at once, whichever replica HAProxy chose", MAX_SESSIONS + 1)
                .isEqualTo(503);

        // A place freed on one replica, after traffic, is a place for a handshake on any.
        RawWebSocket first = this.clients.get(0);
        first.sendClose(1000, "done");
        assertThat(first.awaitClose().closeCode()).isEqualTo(1000);
        org.awaitility.Awaitility.await()
                .atMost(TIMEOUT)
                .until(() -> heldPerReplica().values().stream()
                                .mapToDouble(Double::doubleValue)
                                .sum()
                        == MAX_SESSIONS - 1);
        open("127.0.1.51", "all-again");
    }

    @Test
    void aClientsLimitHoldsOnEveryReplicaByTheAddressThePROXYHeaderGives() {
        for (int i = 0; i < MAX_SESSIONS_PER_CLIENT; i++) {
            open("127.0.2.7", "client-" + i);
        }
        // leastconn put this client's sessions on two replicas; the third holds none of them.
        assertThat(heldPerReplica().values()).as("sessions per replica").contains(0.0);

        RawWebSocket refused = connect("127.0.2.7", "client-over");
        assertThat(refused.handshake().status())
                .as("a third session of one client, on a replica that holds none of its sessions")
                .isEqualTo(503);
        open("127.0.2.8", "other-client");
    }

    private void open(String source, String tag) {
        RawWebSocket client = connect(source, tag);
        assertThat(client.handshake().status())
                .as("handshake %s from %s", tag, source)
                .isEqualTo(101);
        client.sendText("hello " + tag);
        assertThat(client.readFrame().text()).isEqualTo("hello " + tag);
    }

    private RawWebSocket connect(String source, String tag) {
        RawWebSocket client = RawWebSocket.connectFrom(source, this.haproxy.port(), "/lb/?t=" + tag);
        this.clients.add(client);
        return client;
    }

    private Map<String, Double> heldPerReplica() {
        Map<String, Double> held = new TreeMap<>();
        this.servers.forEach(server -> held.put(server.name(), activeSessions(server)));
        return held;
    }

    private static double activeSessions(Haproxy.Server server) {
        return new ManagementPort(server.managementPort()).sum("wsgate_sessions_active", "route=\"lb\"");
    }
}
