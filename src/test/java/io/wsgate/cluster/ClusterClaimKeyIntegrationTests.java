package io.wsgate.cluster;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.config.ClientKey;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayReplica;
import io.wsgate.support.OidcIssuer;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.RedisServer;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-client limits keyed by a token claim ({@code client-key: claim:sub}) on two replicas sharing one real
 * redis-server: one subject on two addresses and two replicas shares its places and its handshake bucket; Redis
 * holds the claim's hashed key, never the subject.
 */
class ClusterClaimKeyIntegrationTests {

    static RedisServer redis;

    static EchoBackend echo;

    static OidcIssuer issuer;

    static GatewayReplica a;

    static GatewayReplica b;

    private final List<RawWebSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void start() {
        redis = RedisServer.startNew();
        echo = EchoBackend.start();
        issuer = OidcIssuer.start();
        String backend = "ws://127.0.0.1:" + echo.port();
        List<String> args = new ArrayList<>(List.of(
                "--wsgate.cluster.store=redis",
                "--wsgate.cluster.heartbeat-ttl=3s",
                "--wsgate.limits.client-key=claim:sub",
                "--spring.security.oauth2.resourceserver.jwt.issuer-uri=" + issuer.issuer()));
        args.addAll(List.of(redis.properties()));
        args.addAll(GatewayReplica.route(
                0, "claimed", backend, "/claimed/**", "auth", "jwt", "max-sessions-per-client", "1"));
        args.addAll(GatewayReplica.route(
                1, "rated", backend, "/rated/**", "auth", "jwt", "handshake-rate-per-client", "1/1h"));
        a = GatewayReplica.start(true, args);
        b = GatewayReplica.start(false, args);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {a, b, issuer, echo, redis}) {
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
    void closeSockets() {
        this.sockets.forEach(RawWebSocket::close);
        await().atMost(TIMEOUT).until(() -> a.activeSessions() == 0 && b.activeSessions() == 0);
        await().atMost(TIMEOUT).until(() -> redis.command("EXISTS {wsgate}:sessions:all"), ":0"::equals);
    }

    @Test
    void oneSubjectSharesItsPlacesAcrossAddressesAndReplicas() throws IOException {
        RawWebSocket first = open(a, InetAddress.getByName("127.0.0.1"), "/claimed/", "alice-c1");
        assertEchoes(first);
        String scope = "{wsgate}:sessions:client:claimed:" + new ClientKey("sub").keyOf("alice-c1");
        await().atMost(TIMEOUT).until(() -> redis.command("EXISTS " + scope), ":1"::equals);

        // The same subject from another address on the other replica: only the shared count refuses.
        assertThat(open(b, InetAddress.getByName("127.0.0.2"), "/claimed/", "alice-c1")
                        .handshake()
                        .status())
                .isEqualTo(503);
        // Another subject from the same address as the first has its own place.
        assertEchoes(open(b, InetAddress.getByName("127.0.0.1"), "/claimed/", "bob-c1"));

        first.sendClose(1000, "");
        assertThat(first.awaitClose().closeCode()).isEqualTo(1000);
        await().atMost(TIMEOUT).until(() -> redis.command("EXISTS " + scope), ":0"::equals);
        assertEchoes(open(b, InetAddress.getByName("127.0.0.2"), "/claimed/", "alice-c1"));
    }

    @Test
    void oneSubjectHasOneHandshakeBucketAcrossAddressesAndReplicas() throws IOException {
        assertThat(RawHttp.upgradeStatus(
                        InetAddress.getByName("127.0.0.1"), a.port(), "/rated/", issuer.bearer("carol-c1")))
                .isEqualTo(101);
        assertThat(RawHttp.upgradeStatus(
                        InetAddress.getByName("127.0.0.2"), b.port(), "/rated/", issuer.bearer("carol-c1")))
                .isEqualTo(429);
        assertThat(RawHttp.upgradeStatus(
                        InetAddress.getByName("127.0.0.1"), b.port(), "/rated/", issuer.bearer("dave-c1")))
                .isEqualTo(101);
    }

    private RawWebSocket open(GatewayReplica replica, InetAddress from, String path, String subject) {
        RawWebSocket socket = RawWebSocket.connectFrom(from, replica.port(), path, issuer.bearer(subject));
        this.sockets.add(socket);
        return socket;
    }

    private static void assertEchoes(RawWebSocket socket) {
        assertThat(socket.handshake().status()).isEqualTo(101);
        socket.sendText("ping");
        assertThat(socket.readFrame().text()).isEqualTo("PING");
    }
}
