package io.wsgate.proxy;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ScriptedBackend;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Nothing of the handshake stays with an open session: once the client is upgraded, the exchange (its request,
 * attributes, filter chain and observations) can be collected while the session relays on. Each open session used
 * to keep it, about 40% of an idle session's heap (docs/benchmark.md, "Objects and bytes per idle session").
 */
@GatewayTest
class HandshakeReleaseIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    // The exchanges of the upgrades, weakly: the test must not be what keeps them.
    static final List<WeakReference<ServerWebExchange>> exchanges = new CopyOnWriteArrayList<>();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("held", "ws://127.0.0.1:" + backend.port(), "/held/**");
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class ExchangeRecorder {

        @Bean
        ExchangeRecordingFilter exchangeRecorder() {
            return new ExchangeRecordingFilter();
        }
    }

    /** First of the global filters (one without an order would run after the relay, that is never). */
    static class ExchangeRecordingFilter implements GlobalFilter, Ordered {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
            exchanges.add(new WeakReference<>(exchange));
            return chain.filter(exchange);
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }

    @Test
    void anOpenSessionKeepsNothingOfItsHandshake() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/held/?t=held"));
        client.sendText("before");
        assertThat(client.nextText()).isEqualTo("before");
        assertThat(exchanges).hasSize(1);

        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return exchanges.get(0).get() == null;
        });

        // Still relaying both ways.
        client.sendText("after");
        assertThat(client.nextText()).isEqualTo("after");
        assertThat(client.close(1000, "").code()).isEqualTo(1000);
    }
}
