package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * On Kubernetes (and other cloud platforms) Spring Boot would switch on Reactor Netty's own forwarded-header
 * handling, which believes the leftmost X-Forwarded-For: application.yml pins server.forward-headers-strategy to
 * none, so with no trusted proxies a client's X-Forwarded-For is never its address.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = "spring.main.cloud-platform=kubernetes")
class ForwardHeadersStrategyIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("k8s", "ws://127.0.0.1:" + backend.port(), "/k8s/**");
    }

    @Test
    void aSpoofedXForwardedForIsNotTheClientOnACloudPlatform(CapturedOutput output) throws IOException {
        RawHttp.Response response = RawHttp.exchange(
                this.port,
                RawHttp.upgradeRequest("/k8s/?t=spoof", "X-Forwarded-For: 6.6.6.6", "Forwarded: for=6.6.6.7"));
        assertThat(response.status()).isEqualTo(101);

        HttpHeaders seen = backend.session("spoof").handshake();
        assertThat(seen.get("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(seen.get("Forwarded")).startsWith("for=127.0.0.1;");
        await().atMost(Duration.ofSeconds(30)).until(() -> output.getOut().contains("route=k8s client=127.0.0.1:"));
        assertThat(output.getOut()).doesNotContain("6.6.6.6").doesNotContain("6.6.6.7");
    }
}
