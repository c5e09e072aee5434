package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The origin allowlist: a route's allowed-origins patterns, else wsgate.origins.allowed; other origins get 403,
 * and requests without Origin (not from a browser) always pass.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = "wsgate.origins.allowed=https://only.example.org")
class OriginAllowlistIntegrationTests {

    @Backend
    static EchoBackend echo;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("strict", "ws://127.0.0.1:" + echo.port(), "/strict/**")
                .metadata("allowed-origins[0]", "https://*.example.com")
                .metadata("allowed-origins[1]", "http://localhost:[*]");
        routes.add("any", "ws://127.0.0.1:" + echo.port(), "/any/**").metadata("allowed-origins", "*");
        routes.add("defaults", "ws://127.0.0.1:" + echo.port(), "/defaults/**");
    }

    @Test
    void aRouteAdmitsOnlyItsOriginPatterns(CapturedOutput output) throws IOException {
        assertThat(upgrade("/strict/", "https://app.example.com").status()).isEqualTo(101);
        assertThat(upgrade("/strict/", "http://localhost:5173").status()).isEqualTo(101);

        RawHttp.Response refused = upgrade("/strict/", "https://evil.test");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.header("Retry-After")).isNull();
        // Not a suffix match: the pattern's dot is required.
        assertThat(upgrade("/strict/", "https://notexample.com").status()).isEqualTo(403);
        assertThat(output.getOut())
                .contains("Route strict: refused handshake from 127.0.0.1 with 403:"
                        + " origin https://evil.test is not allowed on this route");
        assertThat(this.registry
                        .get(WsgateMeterNames.HANDSHAKES_REJECTED)
                        .tags("route", "strict", "reason", "origin-forbidden", "status", "403")
                        .counter()
                        .count())
                .isEqualTo(2);
    }

    @Test
    void aRequestWithoutOriginIsNotFromABrowserAndPasses() throws IOException {
        assertThat(upgrade("/strict/", null).status()).isEqualTo(101);
        assertThat(upgrade("/defaults/", null).status()).isEqualTo(101);
    }

    @Test
    void routesWithoutAllowedOriginsUseTheGlobalList() throws IOException {
        assertThat(upgrade("/defaults/", "https://only.example.org").status()).isEqualTo(101);
        assertThat(upgrade("/defaults/", "https://app.example.com").status()).isEqualTo(403);
    }

    @Test
    void aStarAdmitsEveryOrigin() throws IOException {
        assertThat(upgrade("/any/", "https://evil.test").status()).isEqualTo(101);
        assertThat(upgrade("/any/", "null").status()).isEqualTo(101);
    }

    private RawHttp.Response upgrade(String path, String origin) throws IOException {
        String[] request =
                origin != null ? RawHttp.upgradeRequest(path, "Origin: " + origin) : RawHttp.upgradeRequest(path);
        return RawHttp.exchange(this.port, request);
    }
}
