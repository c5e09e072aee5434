package io.wsgate.cluster;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

import io.wsgate.admission.SharedLimits;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayReplica;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ManagementPort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Redis starter is always on the classpath, but with the default {@code wsgate.cluster.store=none} nothing of it
 * runs: no connection factory, no attempt to connect (a listening socket where {@code spring.data.redis.*} points
 * sees none), no {@code redis} health contributor. With {@code redis} and Redis unreachable, the gateway starts and
 * stays UP (fail open).
 */
@GatewayTest(properties = "wsgate.limits.max-sessions=10")
class ClusterStoreNoneIntegrationTests {

    static final ServerSocket notRedis = listen();

    @Backend
    static EchoBackend echo;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    ApplicationContext context;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("echo", "ws://127.0.0.1:" + echo.port(), "/echo/**");
        registry.add("spring.data.redis.host", () -> "127.0.0.1");
        registry.add("spring.data.redis.port", notRedis::getLocalPort);
    }

    @AfterAll
    static void closeSocket() throws IOException {
        notRedis.close();
    }

    @Test
    void withStoreNoneNothingOfRedisRuns() throws IOException {
        assertThat(JdkWebSocketClient.replyTo(wsUri(this.port, "/echo/"), "local"))
                .isEqualTo("LOCAL");

        assertThat(this.context.getBeanNamesForType(RedisConnectionFactory.class))
                .isEmpty();
        assertThat(this.context.getBeanNamesForType(ReactiveRedisConnectionFactory.class))
                .isEmpty();
        assertThat(this.context.getBeanNamesForType(SharedLimits.class)).isEmpty();
        // Bounded wait: the route backends' first health probe may still be running.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            HttpResponse<String> health = new ManagementPort(this.managementPort).send("GET", "/actuator/health", null);
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"").doesNotContain("\"redis\"");
        });
        assertThat(new ManagementPort(this.managementPort)
                        .send("GET", "/readyz", null)
                        .statusCode())
                .isEqualTo(200);
        notRedis.setSoTimeout(500);
        assertThatExceptionOfType(SocketTimeoutException.class)
                .as("nobody connected to spring.data.redis.port")
                .isThrownBy(notRedis::accept);
    }

    @Test
    void withStoreRedisAndNoRedisTheGatewayStartsAndStaysUp() {
        List<String> args = new ArrayList<>(List.of(
                "--wsgate.cluster.store=redis",
                "--wsgate.limits.max-sessions=1",
                "--spring.data.redis.host=127.0.0.1",
                // Nothing listens there.
                "--spring.data.redis.port=" + io.wsgate.support.FreePorts.next()));
        args.addAll(GatewayReplica.route(0, "echo", "ws://127.0.0.1:" + echo.port(), "/echo/**"));
        try (GatewayReplica replica = GatewayReplica.start(false, args)) {
            assertThat(replica.context().getBeanNamesForType(SharedLimits.class))
                    .hasSize(1);
            // Admitted by the local limit of 1.
            assertThat(JdkWebSocketClient.replyTo(wsUri(replica.port(), "/echo/"), "alone"))
                    .isEqualTo("ALONE");
            await().atMost(TIMEOUT).untilAsserted(() -> {
                HttpResponse<String> health =
                        new ManagementPort(replica.managementPort()).send("GET", "/actuator/health", null);
                assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
                assertThat(health.body()).doesNotContain("\"redis\"");
            });
        }
    }

    private static ServerSocket listen() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
