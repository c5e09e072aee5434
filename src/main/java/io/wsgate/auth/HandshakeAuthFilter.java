package io.wsgate.auth;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR;

import io.wsgate.config.ClientKey;
import io.wsgate.config.RouteAuth;
import io.wsgate.config.RouteSettings;
import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.TokenSource;
import io.wsgate.metrics.RouteMeters;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.proxy.FilterOrder;
import io.wsgate.proxy.HandshakeRejection;
import io.wsgate.proxy.WebSocketRelayFilter;
import io.wsgate.session.SessionLog;
import io.wsgate.vocabulary.RejectionReason;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Checks the client's token on routes with {@code auth: jwt} before anything else costs a session or a backend
 * connection: 401 without a valid token, 403 without the route's scopes or claim values, 503 while the issuer's keys
 * cannot be fetched; each answered with {@code WWW-Authenticate} (RFC 6750), counted and logged (never the token).
 * An admitted handshake goes on without the token (unless {@code auth-keep-token}), with the route's claim headers,
 * and with the token's expiry for its session ({@link WebSocketRelayFilter#TOKEN_DEADLINE_ATTR}). On every routed
 * request, it also puts a client's {@code access_token} back into the backend's URI ({@link QueryTokenRedaction}).
 */
final class HandshakeAuthFilter implements GlobalFilter, Ordered {

    private static final Logger logger = LoggerFactory.getLogger(HandshakeAuthFilter.class);

    private final WebSocketMetrics metrics;

    private final RouteSettingsCache routeSettings;

    private final QueryTokenRedaction queryTokens;

    private final ObjectProvider<ReactiveJwtDecoder> decoder;

    private final String cookieName;

    private final Duration expiryGrace;

    private final Duration retryAfter;

    HandshakeAuthFilter(
            WebSocketMetrics metrics,
            RouteSettingsCache routeSettings,
            QueryTokenRedaction queryTokens,
            ObjectProvider<ReactiveJwtDecoder> decoder,
            String cookieName,
            Duration expiryGrace,
            Duration retryAfter) {
        this.metrics = metrics;
        this.routeSettings = routeSettings;
        this.queryTokens = queryTokens;
        this.decoder = decoder;
        this.cookieName = cookieName;
        this.expiryGrace = expiryGrace;
        this.retryAfter = retryAfter;
    }

    @Override
    public int getOrder() {
        return FilterOrder.HANDSHAKE_AUTH;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        // Every routed request: the backend's URI was built from the redacted one; the client's token goes back in
        // (and is stripped again below where the route says so).
        String clientQuery = this.queryTokens.takeClientQuery(exchange.getRequest());
        if (clientQuery != null) {
            URI backend = exchange.getAttribute(GATEWAY_REQUEST_URL_ATTR);
            if (backend != null) {
                exchange.getAttributes()
                        .put(GATEWAY_REQUEST_URL_ATTR, QueryTokenRedaction.restore(backend, clientQuery));
            }
        }
        RouteSettings settings = WebSocketRelayFilter.upgradeRouteSettings(exchange, this.routeSettings);
        if (settings == null || !settings.auth().required()) {
            return chain.filter(exchange);
        }
        ServerHttpRequest request = exchange.getRequest();
        RouteAuth auth = settings.auth();
        RouteMeters meters = this.metrics.route(settings.routeId());
        ReactiveJwtDecoder decoder = this.decoder.getIfAvailable();
        if (decoder == null) {
            // Only for a route put in force without the start-up and reload checks.
            return reject(
                    exchange,
                    meters,
                    Level.ERROR,
                    HttpStatus.INTERNAL_SERVER_ERROR,
                    RejectionReason.MISCONFIGURED,
                    "auth: jwt but no token issuer is configured",
                    null);
        }
        URI clientUri = QueryTokenRedaction.restore(request.getURI(), clientQuery);
        BearerToken token = BearerToken.find(clientUri, request.getHeaders(), auth.tokenFrom(), this.cookieName);
        if (token.ambiguous()) {
            return reject(
                    exchange,
                    meters,
                    Level.INFO,
                    HttpStatus.BAD_REQUEST,
                    RejectionReason.UNAUTHORIZED,
                    "two different tokens in " + names(token.foundIn()),
                    challenge("invalid_request", "one token, sent one way"));
        }
        if (token.token() == null) {
            return unauthorized(exchange, meters, "no token in " + names(auth.tokenFrom()), "Bearer");
        }
        // Errors as values: an error of the chain further on must not be taken for a bad token.
        return Mono.defer(() -> decoder.decode(token.token()))
                .<Object>map(jwt -> jwt)
                .onErrorResume(ex -> Mono.just(ex))
                .flatMap(decoded -> decoded instanceof Jwt jwt
                        ? admit(exchange, chain, meters, auth, token, jwt, settings.clientKey())
                        : refuse(exchange, meters, token.token(), (Throwable) decoded));
    }

    private Mono<Void> admit(
            ServerWebExchange exchange,
            GatewayFilterChain chain,
            RouteMeters meters,
            RouteAuth auth,
            BearerToken token,
            Jwt jwt,
            ClientKey clientKey) {
        Instant deadline = jwt.getExpiresAt() != null ? jwt.getExpiresAt().plus(this.expiryGrace) : null;
        if (deadline != null && !deadline.isAfter(Instant.now())) {
            // The decoder allows 60 s of clock skew; a session would end at once, so refuse it as expired.
            return unauthorized(
                    exchange,
                    meters,
                    "token expired at " + jwt.getExpiresAt(),
                    challenge("invalid_token", "the token expired"));
        }
        Set<String> scopes = scopes(jwt);
        if (!scopes.containsAll(auth.scopes())) {
            Set<String> missing = new TreeSet<>(auth.scopes());
            missing.removeAll(scopes);
            return forbidden(
                    exchange,
                    meters,
                    "token lacks scope " + String.join(" ", missing),
                    challenge("insufficient_scope", "the token lacks a required scope") + ", scope=\""
                            + String.join(" ", new TreeSet<>(auth.scopes())) + "\"");
        }
        for (Map.Entry<String, String> claim : auth.claims()) {
            if (!hasClaimValue(jwt.getClaims().get(claim.getKey()), claim.getValue())) {
                return forbidden(
                        exchange,
                        meters,
                        "token lacks claim " + claim.getKey() + "=" + claim.getValue(),
                        challenge("insufficient_scope", "the token lacks a required claim value"));
            }
        }
        if (deadline != null) {
            exchange.getAttributes().put(WebSocketRelayFilter.TOKEN_DEADLINE_ATTR, deadline);
        }
        if (clientKey.byClaim()) {
            // Only the claim's key goes on (a hash, not the value); without the claim the client counts by address.
            String value = keyClaimValue(jwt.getClaims().get(clientKey.claim()));
            if (value != null) {
                exchange.getAttributes().put(WebSocketRelayFilter.CLIENT_KEY_ATTR, clientKey.keyOf(value));
            }
        }
        logger.debug("Route {}: token accepted, valid until {}", meters.route(), jwt.getExpiresAt());
        return chain.filter(forBackend(exchange, auth, token, jwt));
    }

    /** The exchange the backend's handshake is built from: without the token, with the claim headers. */
    private ServerWebExchange forBackend(ServerWebExchange exchange, RouteAuth auth, BearerToken token, Jwt jwt) {
        ServerHttpRequest request = exchange.getRequest();
        boolean strip = !auth.keepToken();
        URI uri = request.getURI();
        if (strip && token.foundIn().contains(TokenSource.QUERY)) {
            URI stripped = BearerToken.withoutQueryToken(uri);
            if (stripped != null) {
                uri = stripped;
            }
            URI backend = exchange.getAttribute(GATEWAY_REQUEST_URL_ATTR);
            URI strippedBackend = backend != null ? BearerToken.withoutQueryToken(backend) : null;
            if (strippedBackend != null) {
                exchange.getAttributes().put(GATEWAY_REQUEST_URL_ATTR, strippedBackend);
            }
        }
        URI requestUri = uri;
        // Netty's handshaker reads the client's offer from the native request and logs, at DEBUG, an offer it
        // matches nothing of: the bearer.* entry goes from there too (the request's headers are a view of them).
        if (ServerHttpRequestDecorator.getNativeRequest(request) instanceof HttpServerRequest nettyRequest) {
            BearerToken.removeSubprotocolEntries(
                    new HttpHeaders(new Netty4HeadersAdapter(nettyRequest.requestHeaders())));
        }
        return exchange.mutate()
                .request(builder -> builder.uri(requestUri).headers(headers -> {
                    // A bearer.* entry never goes on: the backend could select it, and it is the token itself.
                    BearerToken.removeSubprotocolEntries(headers);
                    if (strip && token.foundIn().contains(TokenSource.HEADER)) {
                        BearerToken.removeHeader(headers);
                    }
                    if (strip && token.foundIn().contains(TokenSource.COOKIE)) {
                        BearerToken.removeCookie(headers, this.cookieName);
                    }
                    auth.claimHeaders().forEach((claim, header) -> {
                        headers.remove(header);
                        String value = claimValue(jwt.getClaims().get(claim));
                        if (value != null) {
                            headers.set(header, value);
                        }
                    });
                }))
                .build();
    }

    private Mono<Void> refuse(ServerWebExchange exchange, RouteMeters meters, String token, Throwable ex) {
        if (ex instanceof BadJwtException) {
            return unauthorized(
                    exchange,
                    meters,
                    "invalid token: " + why(ex, token),
                    challenge("invalid_token", "the token is invalid"));
        }
        // Discovery or the key set could not be fetched: the token may be fine, the gateway cannot tell.
        return reject(
                exchange,
                meters,
                Level.WARN,
                HttpStatus.SERVICE_UNAVAILABLE,
                RejectionReason.AUTH_UNAVAILABLE,
                "could not check the token, the issuer's keys are unavailable: " + why(ex, token),
                null);
    }

    private Mono<Void> unauthorized(ServerWebExchange exchange, RouteMeters meters, String why, String challenge) {
        return reject(
                exchange, meters, Level.INFO, HttpStatus.UNAUTHORIZED, RejectionReason.UNAUTHORIZED, why, challenge);
    }

    private Mono<Void> forbidden(ServerWebExchange exchange, RouteMeters meters, String why, String challenge) {
        return reject(exchange, meters, Level.INFO, HttpStatus.FORBIDDEN, RejectionReason.FORBIDDEN, why, challenge);
    }

    private Mono<Void> reject(
            ServerWebExchange exchange,
            RouteMeters meters,
            Level level,
            HttpStatus status,
            RejectionReason reason,
            String why,
            String challenge) {
        logger.atLevel(level)
                .log(
                        "Route {}: refused handshake from {} with {}: {}",
                        meters.route(),
                        SessionLog.address(exchange.getRequest().getRemoteAddress()),
                        status.value(),
                        why);
        meters.handshakeRejected(reason, status.value());
        HandshakeRejection rejection = HandshakeRejection.of(status, "Refused: " + status.getReasonPhrase());
        if (challenge != null) {
            rejection.headers().set(HttpHeaders.WWW_AUTHENTICATE, challenge);
        }
        if (status == HttpStatus.SERVICE_UNAVAILABLE) {
            rejection.headers().set(HttpHeaders.RETRY_AFTER, HandshakeRejection.retryAfterSeconds(this.retryAfter));
        }
        return rejection.writeTo(exchange.getResponse());
    }

    private static String challenge(String error, String description) {
        return "Bearer error=\"" + error + "\", error_description=\"" + description + "\"";
    }

    /**
     * Why the decoder refused, for the log: the validators' descriptions, or the exception's message with the token
     * and each of its parts cut out (a parser's message may quote what it could not read).
     */
    private static String why(Throwable ex, String token) {
        String message;
        if (ex instanceof JwtValidationException invalid) {
            message = invalid.getErrors().stream()
                    .map(OAuth2Error::getDescription)
                    .collect(Collectors.joining("; "));
        } else {
            // The causes too: "could not decode" alone does not say that the issuer refused the connection.
            java.util.List<String> messages = new java.util.ArrayList<>();
            for (Throwable cause = ex; cause != null && messages.size() < 4; cause = cause.getCause()) {
                String raw = cause.getMessage() != null ? cause.getMessage().trim() : "";
                String text = raw.endsWith(":") ? raw.substring(0, raw.length() - 1) : raw;
                if (!text.isEmpty() && messages.stream().noneMatch(seen -> seen.contains(text))) {
                    messages.add(text);
                }
            }
            message = String.join(": ", messages);
        }
        message = message.replace(token, "[token]");
        for (String part : token.split("\\.")) {
            if (part.length() >= 8) {
                message = message.replace(part, "[token]");
            }
        }
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }

    /** The token's scopes: the {@code scope} claim (space-separated) or {@code scp} (a list or a string). */
    static Set<String> scopes(Jwt jwt) {
        Set<String> scopes = new TreeSet<>();
        for (String claim : List.of("scope", "scp")) {
            Object value = jwt.getClaims().get(claim);
            if (value instanceof Collection<?> list) {
                list.forEach(item -> scopes.add(String.valueOf(item)));
            } else if (value != null) {
                scopes.addAll(List.of(value.toString().trim().split("\\s+")));
            }
        }
        return scopes;
    }

    private static boolean hasClaimValue(Object claim, String value) {
        if (claim instanceof Collection<?> list) {
            return list.stream().anyMatch(item -> value.equals(String.valueOf(item)));
        }
        return claim != null && value.equals(claim.toString());
    }

    /** A claim that can key a client: a single non-empty value (a string, a number); not a list or an object. */
    private static String keyClaimValue(Object claim) {
        if (claim == null || claim instanceof Collection<?> || claim instanceof Map<?, ?>) {
            return null;
        }
        String value = claim.toString();
        return value.isEmpty() ? null : value;
    }

    /** A claim as a header value: a list comma-separated; none for a missing claim or one with control characters. */
    private static String claimValue(Object claim) {
        if (claim == null) {
            return null;
        }
        String value = claim instanceof Collection<?> list
                ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
                : claim.toString();
        return value.chars().anyMatch(c -> c < 0x20 || c == 0x7f) ? null : value;
    }

    private static String names(Set<TokenSource> sources) {
        return sources.stream()
                .sorted()
                .map(source -> source.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
    }
}
