package io.wsgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.Gateway;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.OidcIssuer;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The issuer down when the gateway starts: the gateway starts anyway (Boot's issuer-uri decoder discovers lazily),
 * handshakes on {@code auth: jwt} routes get 503 + Retry-After ({@code reason=auth-unavailable}) while public routes
 * keep serving, and once the issuer answers, tokens are accepted without a restart.
 */
@GatewayTest
class HandshakeAuthIssuerOutageIntegrationTests {

    private static final int ISSUER_PORT = FreePorts.next();

    @Backend
    static ScriptedBackend backend;

    private static OidcIssuer issuer;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> "http://127.0.0.1:" + ISSUER_PORT);
        String uri = "ws://127.0.0.1:" + backend.port();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("open", uri, "/open/**");
        routes.add("jwt", uri, "/jwt/**").metadata("auth", "jwt");
    }

    @AfterAll
    static void stop() {
        if (issuer != null) {
            issuer.close();
        }
    }

    @Test
    void handshakesGet503UntilTheIssuerAnswersThenSucceed() throws Exception {
        // A well-formed token of the issuer to come: signed by a key the gateway cannot fetch yet.
        String token;
        try (OidcIssuer elsewhere = OidcIssuer.start()) {
            token = elsewhere.token("svc", "chat.read", null, Duration.ofMinutes(5));
        }
        RawHttp.Response down = upgrade("/jwt/room", "Authorization: Bearer " + token);
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.header("retry-after")).isNotNull();
        assertThat(MeterCounts.count(
                        this.registry,
                        WsgateMeterNames.HANDSHAKES_REJECTED,
                        "route",
                        "jwt",
                        "reason",
                        "auth-unavailable",
                        "status",
                        "503"))
                .isEqualTo(1);
        assertThat(JdkWebSocketClient.replyTo(URI.create("ws://127.0.0.1:" + this.port + "/open/room"), "public"))
                .isEqualTo("public");

        issuer = OidcIssuer.start(ISSUER_PORT);
        String valid = issuer.token("svc", "chat.read", null, Duration.ofMinutes(5));
        await().atMost(Gateway.TIMEOUT)
                .untilAsserted(() -> assertThat(upgrade("/jwt/room", "Authorization: Bearer " + valid)
                                .status())
                        .isEqualTo(101));
    }

    private RawHttp.Response upgrade(String path, String... headers) throws Exception {
        return RawHttp.exchange(this.port, RawHttp.upgradeRequest(path, headers));
    }
}
