package io.wsgate.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.net.InetAddress;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway against an issuer written by others, {@code no.nav.security:mock-oauth2-server}: its discovery document,
 * JWK set and tokens, found through {@code spring.security.oauth2.resourceserver.jwt.issuer-uri} as in production.
 * The project's own {@code support/OidcIssuer} covers what this one does not let a test steer (key rotation, the
 * issuer down at start).
 */
@GatewayTest
class ThirdPartyIssuerIntegrationTests {

    private static final String ISSUER = "chat";

    private static MockOAuth2Server issuer;

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) throws Exception {
        issuer = new MockOAuth2Server();
        issuer.start(InetAddress.getLoopbackAddress(), 0);
        registry.add(
                "spring.security.oauth2.resourceserver.jwt.issuer-uri",
                () -> issuer.issuerUrl(ISSUER).toString());
        String uri = "ws://127.0.0.1:" + backend.port();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("jwt", uri, "/jwt/**").metadata("auth", "jwt");
        routes.add("scoped", uri, "/scoped/**").metadata("auth", "jwt").metadata("auth-scopes", "chat.write");
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.shutdown();
        }
    }

    @Test
    void aTokenInTheHeaderOpensASession() {
        String token = token(ISSUER, "chat.read", 300);
        ScriptedBackend.Recorded seen =
                echoes("/jwt/room?t=nav-header", Map.of("Authorization", "Bearer " + token), "nav-header");
        assertThat(seen.handshake().get("Authorization")).isNull();
    }

    @Test
    void aTokenInTheQueryOpensASessionAndIsStripped() {
        String token = token(ISSUER, "chat.read", 300);
        ScriptedBackend.Recorded seen =
                echoes("/jwt/room?t=nav-query&access_token=" + token + "&x=1", Map.of(), "nav-query");
        assertThat(seen.uri()).isEqualTo("/room?t=nav-query&x=1");
    }

    @Test
    void aTokenOfAnotherIssuerIs401() throws Exception {
        String foreign = token("another-issuer", "chat.read", 300);
        RawHttp.Response response = upgrade("/jwt/room", "Authorization: Bearer " + foreign);
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("www-authenticate")).startsWith("Bearer error=\"invalid_token\"");
    }

    @Test
    void aTokenWithoutTheRoutesScopeIs403() throws Exception {
        RawHttp.Response response = upgrade("/scoped/room", "Authorization: Bearer " + token(ISSUER, "chat.read", 300));
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.header("www-authenticate")).startsWith("Bearer error=\"insufficient_scope\"");
        assertThat(upgrade("/scoped/room", "Authorization: Bearer " + token(ISSUER, "chat.read chat.write", 300))
                        .status())
                .isEqualTo(101);
    }

    @Test
    void theSessionEndsWhenTheTokenExpiresAfterTraffic() {
        HandshakeAuthIntegrationTests.endsAtTokenExpiryAfterTraffic(
                backend, this.port, token(ISSUER, "chat.read", 10), "nav-expiry");
    }

    /** A token of the mock server's issuer {@code issuerId} with {@code scope}, valid for {@code seconds}. */
    private static String token(String issuerId, String scope, long seconds) {
        return issuer.issueToken(issuerId, "svc", "wsgate", Map.of("scope", scope), seconds)
                .serialize();
    }

    /** A session on {@code path} that echoes one message; what the backend got for the request tagged {@code tag}. */
    private ScriptedBackend.Recorded echoes(String path, Map<String, String> headers, String tag, String... protocols) {
        return backend.echoThrough(this.port, path, headers, tag, protocols);
    }

    private RawHttp.Response upgrade(String path, String... headers) throws Exception {
        return RawHttp.exchange(this.port, RawHttp.upgradeRequest(path, headers));
    }
}
