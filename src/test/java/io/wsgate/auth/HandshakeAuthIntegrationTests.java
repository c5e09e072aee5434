package io.wsgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.Gateway;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.MeterCounts;
import io.wsgate.support.OidcIssuer;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tokens at the handshake with a real issuer ({@link OidcIssuer}: discovery, JWK set, token endpoint) found through
 * {@code spring.security.oauth2.resourceserver.jwt.issuer-uri}, real clients and a backend that records what it got.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(
        properties = {
            "logging.level.wsgate=DEBUG",
            "logging.level.io.wsgate=DEBUG",
            "management.defaults.metrics.export.enabled=true",
            "management.prometheus.metrics.export.enabled=true"
        })
class HandshakeAuthIntegrationTests {

    private static final Duration TIMEOUT = Gateway.TIMEOUT;

    @Backend
    static ScriptedBackend backend;

    @Backend
    static OidcIssuer issuer;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", issuer::issuer);
        String uri = "ws://127.0.0.1:" + backend.port();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("open", uri, "/open/**");
        routes.add("jwt", uri, "/jwt/**")
                .metadata("auth", "jwt")
                .metadata("auth-claim-headers", "sub=X-Auth-Subject,tenant=X-Auth-Tenant");
        routes.add("every", uri, "/every/**")
                .metadata("auth", "jwt")
                .metadata("auth-token-from", "header,query,cookie,subprotocol");
        routes.add("keep", uri, "/keep/**")
                .metadata("auth", "jwt")
                .metadata("auth-token-from", "header,query,cookie,subprotocol")
                .metadata("auth-keep-token", "true");
        routes.add("header-only", uri, "/header-only/**")
                .metadata("auth", "jwt")
                .metadata("auth-token-from", "header");
        routes.add("scoped", uri, "/scoped/**")
                .metadata("auth", "jwt")
                .metadata("auth-scopes", "chat.write")
                .metadata("auth-claims", "tenant=acme");
    }

    @Test
    void aTokenInTheHeaderIsAcceptedAndNotForwarded() {
        String token = token();
        ScriptedBackend.Recorded seen = echoes(
                "/every/room?t=header&x=1", Map.of("Authorization", "Bearer " + token, "Cookie", "a=1"), "header");
        assertThat(seen.handshake().get("Authorization")).isNull();
        assertThat(seen.handshake().get("Cookie")).isEqualTo("a=1");
        assertThat(seen.uri()).isEqualTo("/room?t=header&x=1");
    }

    @Test
    void aTokenInTheQueryIsAcceptedAndStrippedFromTheBackendUri() {
        String token = token();
        ScriptedBackend.Recorded seen = echoes("/every/room?t=query&access_token=" + token + "&x=1", Map.of(), "query");
        assertThat(seen.uri()).isEqualTo("/room?t=query&x=1");
    }

    @Test
    void aTokenInTheCookieIsAcceptedAndOnlyThatCookieRemoved() {
        String token = token();
        ScriptedBackend.Recorded seen =
                echoes("/every/room?t=cookie", Map.of("Cookie", "a=1; access_token=" + token + "; b=2"), "cookie");
        assertThat(seen.handshake().get("Cookie")).isEqualTo("a=1; b=2");
    }

    @Test
    void aTokenInTheSubprotocolIsAcceptedNeitherForwardedNorSelected() {
        String token = token();
        JdkWebSocketClient client = JdkWebSocketClient.connect(
                URI.create("ws://127.0.0.1:" + this.port + "/every/chat?t=subprotocol"),
                Map.of(),
                "v2.chat",
                "bearer." + token);
        assertThat(client.webSocket().getSubprotocol()).isEqualTo("v2.chat");
        client.sendText("subprotocol");
        assertThat(client.nextText()).isEqualTo("subprotocol");
        client.close(1000, "");
        HttpHeaders handshake = backend.session("subprotocol").handshake();
        assertThat(handshake.get("Sec-WebSocket-Protocol")).isEqualTo("v2.chat");
        assertThat(handshake.toString()).doesNotContain(token);
    }

    @Test
    void withKeepTokenTheBackendGetsTheTokenWhereTheClientSentIt() {
        String token = token();
        ScriptedBackend.Recorded seen = echoes(
                "/keep/room?t=keep&access_token=" + token,
                Map.of("Authorization", "Bearer " + token, "Cookie", "access_token=" + token),
                "keep",
                "bearer." + token);
        assertThat(seen.handshake().get("Authorization")).isEqualTo("Bearer " + token);
        assertThat(seen.handshake().get("Cookie")).isEqualTo("access_token=" + token);
        assertThat(seen.uri()).isEqualTo("/room?t=keep&access_token=" + token);
        // The subprotocol entry never: the backend could select it.
        assertThat(seen.handshake().get("Sec-WebSocket-Protocol")).isNull();
    }

    @Test
    void aTokenWhereTheRouteDoesNotTakeItIsRefused() throws Exception {
        String token = token();
        assertThat(upgrade("/header-only/room?access_token=" + token).status()).isEqualTo(401);
        assertThat(upgrade("/jwt/room", "Cookie: access_token=" + token).status())
                .isEqualTo(401);
        assertThat(upgrade("/jwt/room", "Sec-WebSocket-Protocol: bearer." + token)
                        .status())
                .isEqualTo(401);
        assertThat(upgrade("/header-only/room", "Authorization: Bearer " + token)
                        .status())
                .isEqualTo(101);
    }

    @Test
    void claimHeadersAreForwardedAndClientCopiesRemoved() {
        String token = issuer.token("svc-7", "chat.read", "acme", Duration.ofMinutes(5));
        ScriptedBackend.Recorded seen = echoes(
                "/jwt/room?t=claims",
                Map.of("Authorization", "Bearer " + token, "X-Auth-Subject", "admin", "X-Auth-Tenant", "someone-else"),
                "claims");
        assertThat(seen.handshake().getAll("X-Auth-Subject")).containsExactly("svc-7");
        assertThat(seen.handshake().getAll("X-Auth-Tenant")).containsExactly("acme");

        // A token without the claim: no header, and still not the client's.
        String noTenant = issuer.token("svc-8", "chat.read", null, Duration.ofMinutes(5));
        ScriptedBackend.Recorded without = echoes(
                "/jwt/room?t=no-tenant",
                Map.of("Authorization", "Bearer " + noTenant, "X-Auth-Tenant", "someone-else"),
                "no-tenant");
        assertThat(without.handshake().getAll("X-Auth-Subject")).containsExactly("svc-8");
        assertThat(without.handshake().get("X-Auth-Tenant")).isNull();
    }

    @Test
    void noTokenIs401WithABearerChallengeCountedAsUnauthorized() throws Exception {
        double before = rejected("jwt", "unauthorized", "401");
        RawHttp.Response response = upgrade("/jwt/room");
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("www-authenticate")).isEqualTo("Bearer");
        assertThat(rejected("jwt", "unauthorized", "401")).isEqualTo(before + 1);
    }

    @Test
    void aForgedAnExpiredOrAGarbledTokenIs401InvalidToken() throws Exception {
        for (String token : List.of(
                issuer.forged("svc", "chat.read"),
                issuer.token("svc", "chat.read", "acme", Duration.ofSeconds(-120)),
                // Within the decoder's 60 s clock skew, but a session would end at once.
                issuer.token("svc", "chat.read", "acme", Duration.ofSeconds(-20)),
                "not-a-jwt")) {
            RawHttp.Response response = upgrade("/jwt/room", "Authorization: Bearer " + token);
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.header("www-authenticate")).startsWith("Bearer error=\"invalid_token\"");
        }
    }

    @Test
    void aMissingScopeOrClaimValueIs403InsufficientScope() throws Exception {
        double before = rejected("scoped", "forbidden", "403");
        String readOnly = issuer.token("svc", "chat.read", "acme", Duration.ofMinutes(5));
        String otherTenant = issuer.token("svc", "chat.read chat.write", "globex", Duration.ofMinutes(5));
        String allowed = issuer.token("svc", "chat.read chat.write", "acme", Duration.ofMinutes(5));
        RawHttp.Response noScope = upgrade("/scoped/room", "Authorization: Bearer " + readOnly);
        assertThat(noScope.status()).isEqualTo(403);
        assertThat(noScope.header("www-authenticate"))
                .startsWith("Bearer error=\"insufficient_scope\"")
                .contains("scope=\"chat.write\"");
        assertThat(upgrade("/scoped/room", "Authorization: Bearer " + otherTenant)
                        .status())
                .isEqualTo(403);
        assertThat(rejected("scoped", "forbidden", "403")).isEqualTo(before + 2);
        assertThat(upgrade("/scoped/room", "Authorization: Bearer " + allowed).status())
                .isEqualTo(101);
    }

    @Test
    void aSessionEndsWhenItsTokenExpires() {
        double before = MeterCounts.gatewayCloses(this.registry, "jwt", "token-expired");
        // Long enough for the handshake and one echo on a loaded machine (3 s was not, at a load average of 22).
        String token = issuer.token("svc", "chat.read", "acme", Duration.ofSeconds(10));
        endsAtTokenExpiryAfterTraffic(backend, this.port, token, "expiry");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(MeterCounts.gatewayCloses(this.registry, "jwt", "token-expired"))
                        .isEqualTo(before + 1));
    }

    /**
     * A session on route {@code jwt} with {@code token} in the header: one echo, then at the token's expiry Close 1008
     * "token expired" to the client and 1001 to the backend (its request tagged {@code tag}).
     */
    static void endsAtTokenExpiryAfterTraffic(ScriptedBackend backend, int port, String token, String tag) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(
                URI.create("ws://127.0.0.1:" + port + "/jwt/room?t=" + tag),
                Map.of("Authorization", "Bearer " + token));
        client.sendText("before expiry");
        assertThat(client.nextText()).isEqualTo("before expiry");
        JdkWebSocketClient.Close close = client.awaitClose();
        assertThat(close.code()).isEqualTo(1008);
        assertThat(close.reason()).isEqualTo("token expired");
        assertThat(backend.session(tag).awaitClose().code()).isEqualTo(1001);
    }

    @Test
    void aTokenSignedWithTheIssuersNewKeyIsAcceptedAfterARotation() throws Exception {
        assertThat(upgrade("/jwt/room", "Authorization: Bearer " + token()).status())
                .isEqualTo(101);
        int fetches = issuer.jwksFetches();
        String kid = issuer.rotateKey();
        String rotated = token();
        assertThat(com.nimbusds.jwt.SignedJWT.parse(rotated).getHeader().getKeyID())
                .isEqualTo(kid);
        assertThat(upgrade("/jwt/room", "Authorization: Bearer " + rotated).status())
                .isEqualTo(101);
        assertThat(issuer.jwksFetches()).isGreaterThan(fetches);
    }

    @Test
    void publicRoutesAndManagementNeedNoToken() throws Exception {
        assertThat(JdkWebSocketClient.replyTo(URI.create("ws://127.0.0.1:" + this.port + "/open/room"), "hi"))
                .isEqualTo("hi");
        ManagementPort management = new ManagementPort(this.managementPort);
        java.net.http.HttpResponse<String> health = management.send("GET", "/actuator/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        // Spring Security's response headers stay off, on both ports.
        java.net.http.HttpResponse<String> traffic = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/none"))
                                .timeout(TIMEOUT)
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        for (java.net.http.HttpResponse<String> response : List.of(health, traffic)) {
            assertThat(response.headers().map().keySet())
                    .doesNotContain("x-content-type-options", "x-frame-options", "x-xss-protection");
        }
        assertThat(management.send("GET", "/actuator/wsgate", null).statusCode())
                .isEqualTo(200);
    }

    @Test
    void theTokenIsNeverLoggedNorInAMeter(CapturedOutput output) throws Exception {
        String token = token();
        echoes("/jwt/room?t=logged&access_token=" + token, Map.of(), "logged");
        echoes("/every/chat?t=logged-subprotocol", Map.of(), "logged-subprotocol", "v2.chat", "bearer." + token);
        upgrade("/every/room", "Cookie: access_token=" + token);
        upgrade("/header-only/room?access_token=" + token);
        upgrade("/scoped/room", "Authorization: Bearer " + token);
        String expired = issuer.token("svc", "chat.read", "acme", Duration.ofSeconds(-120));
        upgrade("/jwt/room?access_token=" + expired);
        String forged = issuer.forged("svc", "chat.read");
        upgrade("/jwt/room", "Authorization: Bearer " + forged);
        String prometheus = new ManagementPort(this.managementPort).get("/actuator/prometheus");
        assertThat(output.getOut() + output.getErr())
                .contains("refused handshake")
                .doesNotContain(token)
                .doesNotContain(token.split("\\.")[2])
                .doesNotContain(expired.split("\\.")[2])
                .doesNotContain(forged.split("\\.")[2]);
        assertThat(prometheus).contains("reason=\"unauthorized\"").doesNotContain(token.split("\\.")[2]);
    }

    private String token() {
        return issuer.token("svc", "chat.read", "acme", Duration.ofMinutes(5));
    }

    /** A session on {@code path} that echoes one message; what the backend got for the request tagged {@code tag}. */
    private ScriptedBackend.Recorded echoes(String path, Map<String, String> headers, String tag, String... protocols) {
        return backend.echoThrough(this.port, path, headers, tag, protocols);
    }

    private RawHttp.Response upgrade(String path, String... headers) throws Exception {
        return RawHttp.exchange(this.port, RawHttp.upgradeRequest(path, headers));
    }

    private double rejected(String route, String reason, String status) {
        return MeterCounts.count(
                this.registry,
                WsgateMeterNames.HANDSHAKES_REJECTED,
                "route",
                route,
                "reason",
                reason,
                "status",
                status);
    }
}
