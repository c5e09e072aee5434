package io.wsgate.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A small OpenID Connect issuer for tests, on 127.0.0.1: discovery ({@code /.well-known/openid-configuration}), its
 * JWK set ({@code /jwks}) and a token endpoint ({@code POST /token}, grant {@code client_credentials}, the client in
 * HTTP Basic) issuing RS256 tokens signed with its current key. The token endpoint takes {@code scope}, and (test
 * knobs) {@code ttl} in seconds (negative: already expired) and {@code tenant}; {@code sub} is the client id.
 * {@link #rotateKey()} switches to a new key with a new {@code kid}; the JWK set then lists only the new key.
 */
public final class OidcIssuer implements AutoCloseable {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");

    private final AtomicReference<RSAKey> key = new AtomicReference<>(newKey("key-1"));

    private final AtomicInteger keys = new AtomicInteger(1);

    private final AtomicInteger jwksFetches = new AtomicInteger();

    private final DisposableServer server;

    private final String issuer;

    private OidcIssuer(int port) {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .route(routes -> routes.get(
                                "/.well-known/openid-configuration",
                                (request, response) -> response.header("Content-Type", "application/json")
                                        .sendString(Mono.fromSupplier(this::discovery)))
                        .get("/jwks", (request, response) -> {
                            this.jwksFetches.incrementAndGet();
                            return response.header("Content-Type", "application/json")
                                    .sendString(Mono.fromSupplier(
                                            () -> new JWKSet(this.key.get().toPublicJWK()).toString()));
                        })
                        .post(
                                "/token",
                                (request, response) -> request.receive()
                                        .aggregate()
                                        .asString(StandardCharsets.UTF_8)
                                        .defaultIfEmpty("")
                                        .flatMap(body -> {
                                            String client = basicUser(
                                                    request.requestHeaders().get("Authorization"));
                                            Map<String, String> form = form(body);
                                            if (client == null
                                                    || !"client_credentials".equals(form.get("grant_type"))) {
                                                return response.status(400)
                                                        .header("Content-Type", "application/json")
                                                        .sendString(Mono.just("{\"error\":\"invalid_request\"}"))
                                                        .then();
                                            }
                                            long ttl = Long.parseLong(form.getOrDefault("ttl", "300"));
                                            String token = sign(
                                                    this.key.get(), client, form.get("scope"), form.get("tenant"), ttl);
                                            return response.header("Content-Type", "application/json")
                                                    .sendString(Mono.just("{\"access_token\":\"" + token
                                                            + "\",\"token_type\":\"Bearer\",\"expires_in\":" + ttl
                                                            + "}"))
                                                    .then();
                                        })))
                .bindNow();
        this.issuer = "http://127.0.0.1:" + this.server.port();
    }

    /** Starts on a random port. */
    public static OidcIssuer start() {
        return new OidcIssuer(0);
    }

    /** Starts on {@code port} (for an issuer that comes up after the gateway). */
    public static OidcIssuer start(int port) {
        return new OidcIssuer(port);
    }

    /** The issuer identifier, the value of {@code spring.security.oauth2.resourceserver.jwt.issuer-uri}. */
    public String issuer() {
        return this.issuer;
    }

    /** How often the JWK set was fetched. */
    public int jwksFetches() {
        return this.jwksFetches.get();
    }

    /** A new signing key with a new {@code kid}; the JWK set lists only it from now on. Returns the kid. */
    public String rotateKey() {
        RSAKey next = newKey("key-" + this.keys.incrementAndGet());
        this.key.set(next);
        return next.getKeyID();
    }

    /** A token from the token endpoint, as a client with {@code client_credentials} gets it. */
    public String token(String client, String scope, String tenant, Duration ttl) {
        StringBuilder form = new StringBuilder("grant_type=client_credentials&ttl=" + ttl.toSeconds());
        if (scope != null) {
            form.append("&scope=").append(scope.replace(" ", "+"));
        }
        if (tenant != null) {
            form.append("&tenant=").append(tenant);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(this.issuer + "/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(
                        "Authorization",
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString((client + ":secret").getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(form.toString()))
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            Matcher matcher = ACCESS_TOKEN.matcher(response.body());
            if (response.statusCode() != 200 || !matcher.find()) {
                throw new IllegalStateException("token endpoint answered " + response.statusCode());
            }
            return matcher.group(1);
        } catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** An {@code Authorization} header line with a fresh 10-minute token for {@code subject}, no scope nor tenant. */
    public String bearer(String subject) {
        return "Authorization: Bearer " + token(subject, null, null, Duration.ofMinutes(10));
    }

    /**
     * A token this issuer never issued: signed with a key of the attacker's, under the current key's {@code kid}.
     */
    public String forged(String client, String scope) {
        RSAKey attacker = newKey(this.key.get().getKeyID());
        return sign(attacker, client, scope, null, 300);
    }

    private String discovery() {
        return "{\"issuer\":\"" + this.issuer + "\",\"jwks_uri\":\"" + this.issuer + "/jwks\",\"token_endpoint\":\""
                + this.issuer + "/token\",\"grant_types_supported\":[\"client_credentials\"],"
                + "\"response_types_supported\":[\"token\"],\"subject_types_supported\":[\"public\"],"
                + "\"id_token_signing_alg_values_supported\":[\"RS256\"]}";
    }

    private String sign(RSAKey key, String subject, String scope, String tenant, long ttlSeconds) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(this.issuer)
                .subject(subject)
                .audience("wsgate")
                // An expired token was issued before it expired.
                .issueTime(Date.from(now.plusSeconds(Math.min(0, ttlSeconds - 60))))
                .expirationTime(Date.from(now.plusSeconds(ttlSeconds)))
                .jwtID(UUID.randomUUID().toString());
        if (scope != null) {
            claims.claim("scope", scope);
        }
        if (tenant != null) {
            claims.claim("tenant", tenant);
        }
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .keyID(key.getKeyID())
                        .type(JOSEObjectType.JWT)
                        .build(),
                claims.build());
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException ex) {
            throw new IllegalStateException(ex);
        }
        return jwt.serialize();
    }

    private static RSAKey newKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String basicUser(String authorization) {
        if (authorization == null || !authorization.startsWith("Basic ")) {
            return null;
        }
        String decoded =
                new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        return colon > 0 ? decoded.substring(0, colon) : null;
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : List.of(body.split("&"))) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    @Override
    public void close() {
        this.server.disposeNow(Duration.ofSeconds(10));
    }
}
