package io.wsgate.session;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The idle timeout and the max session age on a real gateway: a quiet session is closed with 1001 on both legs
 * while a busy one stays, an old session is closed within its age plus jitter, each counted and logged as closed
 * by the gateway.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest
class SessionTimeoutIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("idle", "ws://127.0.0.1:" + backend.port(), "/idle/**").metadata("idle-timeout", "600ms");
        routes.add("aged", "ws://127.0.0.1:" + backend.port(), "/aged/**")
                .metadata("max-session-age", "500ms")
                .metadata("max-session-age-jitter", "300ms");
    }

    /**
     * A route put in force without the start-up check (configured routes with such metadata stop the start, see
     * RouteSettingsStartupTests): a {@code RouteLocator} bean, like a route added through the actuator's API.
     */
    @TestConfiguration(proxyBeanMethods = false)
    static class UncheckedRoute {

        @Bean
        RouteLocator brokenRoute(RouteLocatorBuilder builder) {
            return builder.routes()
                    .route(
                            "broken",
                            route -> route.path("/broken/**")
                                    .filters(filters -> filters.stripPrefix(1))
                                    .metadata("idle-timeout", "whenever")
                                    .uri("ws://127.0.0.1:" + backend.port()))
                    .build();
        }
    }

    @Test
    void closesAQuietSessionWith1001OnBothLegsAndKeepsABusyOne(CapturedOutput output) {
        JdkWebSocketClient quiet = JdkWebSocketClient.connect(wsUri(this.port, "/idle/?t=quiet"));
        JdkWebSocketClient busy = JdkWebSocketClient.connect(wsUri(this.port, "/idle/?t=busy"));
        long start = System.nanoTime();

        // The busy client talks every 100 ms for twice the idle timeout and more.
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1500)) {
            busy.sendText("still here");
            assertThat(busy.nextText()).isEqualTo("still here");
            sleep(100);
        }

        JdkWebSocketClient.Close close = quiet.awaitClose();
        assertThat(close.code()).isEqualTo(1001);
        assertThat(close.reason()).isEqualTo("idle timeout");
        assertThat(backend.session("quiet").awaitClose()).isEqualTo(new WebSocketCloseStatus(1001, "idle timeout"));
        assertThat(backend.session("busy").close()).isNotDone();

        busy.sendText("after the quiet one left");
        assertThat(busy.nextText()).isEqualTo("after the quiet one left");
        assertThat(busy.close(1000, "").code()).isEqualTo(1000);

        await().atMost(TIMEOUT).until(() -> closed("idle", "1000", "client") == 1);
        assertThat(closed("idle", "1001", "gateway")).isEqualTo(1);
        assertThat(gatewayCloses("idle", "idle-timeout")).isEqualTo(1);
        assertThat(output.getOut())
                .contains("route=idle client=127.0.0.1:")
                .contains("closed by gateway: idle-timeout");
    }

    @Test
    void closesASessionOnceItReachesItsAgeWithinTheJitter() {
        long start = System.nanoTime();
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/aged/?t=aged"));
        CompletableFuture<Long> closedAfter = CompletableFuture.supplyAsync(() -> {
            client.awaitClose();
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        });
        // Busy or not, the age limit applies.
        while (!closedAfter.isDone() && System.nanoTime() - start < TIMEOUT.toNanos()) {
            client.webSocket().sendText("tick", true);
            sleep(50);
        }
        assertThat(client.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1001, "session age limit"));
        assertThat(backend.session("aged").awaitClose()).isEqualTo(new WebSocketCloseStatus(1001, "session age limit"));
        // Never before its age; the upper bound (age + jitter) only loosely, as the machine may be slow.
        assertThat(closedAfter.join()).isGreaterThanOrEqualTo(500).isLessThan(800 + 10_000);
        await().atMost(TIMEOUT).until(() -> gatewayCloses("aged", "max-session-age") == 1);
        assertThat(closed("aged", "1001", "gateway")).isEqualTo(1);
    }

    @Test
    void refusesHandshakesOnARouteWithMetadataThatDoesNotParse(CapturedOutput output) throws IOException {
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/broken/"))
                        .status())
                .isEqualTo(500);
        assertThat(output.getOut()).contains("Route broken: refused handshake").contains("idle-timeout");
        assertThat(Search.in(this.registry)
                        .name(WsgateMeterNames.HANDSHAKES_REJECTED)
                        .tags("route", "broken", "reason", "misconfigured", "status", "500")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    private double closed(String route, String code, String closedBy) {
        return MeterCounts.sessionsClosed(this.registry, route, code, closedBy);
    }

    private double gatewayCloses(String route, String reason) {
        return MeterCounts.gatewayCloses(this.registry, route, reason);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
