package io.wsgate.proxy;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.ScriptedBackend;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Spring Cloud Gateway's observation of the backend request, off by default, turned on again (as for trace
 * propagation): each relayed session's observation still ends with its backend handshake, none is left open.
 */
@GatewayTest(properties = "spring.cloud.gateway.server.webflux.observability.enabled=true")
class GatewayObservationIntegrationTests {

    @Backend
    static ScriptedBackend scripted;

    @LocalServerPort
    private int port;

    @Autowired
    private MeterRegistry meterRegistry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("scripted", "ws://127.0.0.1:" + scripted.port(), "/scripted/**");
    }

    @Test
    void noObservationOrBackendConnectionIsLeftBehind() throws Exception {
        WebSocketRelayIntegrationTests.relayOneMessageEach(this.port, "/scripted/", 5);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while ((activeClientObservations() > 0 || scripted.openSessions() > 0) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        assertThat(scripted.openSessions()).isZero();
        assertThat(activeClientObservations()).isZero();
        assertThat(this.meterRegistry.find("http.client.requests.active").longTaskTimers())
                .isNotEmpty();
    }

    private long activeClientObservations() {
        return this.meterRegistry.find("http.client.requests.active").longTaskTimers().stream()
                .mapToLong(LongTaskTimer::activeTasks)
                .sum();
    }
}
