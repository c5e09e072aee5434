package io.wsgate.session;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Per-session message rates on a real gateway: {@code throttle} holds a fast sender's messages back (all arrive, in
 * order, no sooner than the rate allows); {@code close} ends the session with 1008 to the sender and 1001 to the
 * other leg, for the client's messages and for the backend's bytes, each after traffic within the rate.
 */
@GatewayTest
class MessageRateLimitIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("throttled", "ws://127.0.0.1:" + backend.port(), "/throttled/**")
                .metadata("message-rate-client-to-backend", "5/s");
        routes.add("closing", "ws://127.0.0.1:" + backend.port(), "/closing/**")
                .metadata("message-rate", "4/s")
                .metadata("rate-limit-action", "close");
        routes.add("feed", "ws://127.0.0.1:" + backend.port(), "/feed/**")
                .metadata("byte-rate-backend-to-client", "16KB/s")
                .metadata("rate-limit-action", "close");
    }

    @Test
    void throttleHoldsAFastClientsMessagesBackAndDropsNone() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/throttled/x?t=throttle"));
        client.sendText("first");
        assertThat(client.nextText()).isEqualTo("first");
        double throttledBefore = throttled("throttled");

        long start = System.nanoTime();
        for (int i = 0; i < 15; i++) {
            client.sendText("m" + i);
        }
        List<String> echoed = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            echoed.add(client.nextText());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        // All of them, in order; 16 messages at 5/s with a burst of 5 cannot all pass in under 2 s.
        assertThat(echoed)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 15)
                        .mapToObj(i -> "m" + i)
                        .toList());
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(throttled("throttled") - throttledBefore).isGreaterThanOrEqualTo(10);
        // The backend-to-client direction has no limit on this route: its echoes were never held.
        assertThat(client.close(1000, "done")).isEqualTo(new JdkWebSocketClient.Close(1000, "done"));
    }

    @Test
    void closeEndsTheSessionOfAClientOverItsRateWith1008AndTheBackendGets1001() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/closing/x?t=close-client"));
        // Within the rate first: traffic passes.
        client.sendText("ok");
        assertThat(client.nextText()).isEqualTo("ok");
        double closesBefore = gatewayCloses("closing", "client-rate-limited");

        flood(client, 10);

        assertThat(client.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1008, "rate limit exceeded"));
        await().atMost(TIMEOUT)
                .until(() -> !backend.session("close-client").closeFrames().isEmpty());
        assertThat(backend.session("close-client").closeFrames().get(0))
                .isEqualTo(new ScriptedBackend.CloseFrame(1001, "client exceeded its rate limit"));
        await().atMost(TIMEOUT).until(() -> gatewayCloses("closing", "client-rate-limited") == closesBefore + 1);
    }

    @Test
    void aWellBehavedSessionOnTheSameRouteIsUntouched() {
        JdkWebSocketClient polite = JdkWebSocketClient.connect(uri("/closing/x?t=polite"));
        polite.sendText("hello");
        assertThat(polite.nextText()).isEqualTo("hello");
        JdkWebSocketClient flooder = JdkWebSocketClient.connect(uri("/closing/x?t=flooder"));

        flood(flooder, 10);

        assertThat(flooder.awaitClose().code()).isEqualTo(1008);
        // Buckets are per session: the polite client's own rate was never touched by the flood.
        polite.sendText("still welcome");
        assertThat(polite.nextText()).isEqualTo("still welcome");
        assertThat(polite.close(1000, "bye")).isEqualTo(new JdkWebSocketClient.Close(1000, "bye"));
    }

    @Test
    void closeEndsTheSessionOfABackendOverItsByteRate() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/feed/x?t=close-backend"));
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("hello");

        // 64 messages of 1 KiB at once: four times the 16 KB burst.
        client.sendText("stream:64:1024");

        assertThat(client.awaitClose())
                .isEqualTo(new JdkWebSocketClient.Close(1001, "backend exceeded its rate limit"));
        await().atMost(TIMEOUT)
                .until(() -> !backend.session("close-backend").closeFrames().isEmpty());
        assertThat(backend.session("close-backend").closeFrames().get(0))
                .isEqualTo(new ScriptedBackend.CloseFrame(1008, "rate limit exceeded"));
    }

    /** Sends up to {@code count} messages at once; the client stops when its output closes (the gateway's close). */
    private static void flood(JdkWebSocketClient client, int count) {
        try {
            for (int i = 0; i < count; i++) {
                client.sendText("flood " + i);
            }
        } catch (java.util.concurrent.CompletionException ex) {
            assertThat(ex).hasRootCauseMessage("Output closed");
        }
    }

    private double throttled(String route) {
        return MeterCounts.count(
                this.meters,
                WsgateMeterNames.MESSAGES_THROTTLED,
                WsgateMeterNames.TAG_ROUTE,
                route,
                WsgateMeterNames.TAG_DIRECTION,
                "client-to-backend");
    }

    private double gatewayCloses(String route, String reason) {
        return MeterCounts.count(
                this.meters,
                WsgateMeterNames.GATEWAY_CLOSES,
                WsgateMeterNames.TAG_ROUTE,
                route,
                WsgateMeterNames.TAG_REASON,
                reason);
    }

    private URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + this.port + path);
    }
}
