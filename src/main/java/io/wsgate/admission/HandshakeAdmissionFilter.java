package io.wsgate.admission;

import io.wsgate.config.RouteSettings;
import io.wsgate.config.RouteSettingsCache;
import io.wsgate.metrics.RouteMeters;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.proxy.FilterOrder;
import io.wsgate.proxy.HandshakeRejection;
import io.wsgate.proxy.WebSocketRelayFilter;
import io.wsgate.vocabulary.RejectionReason;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Decides whether a WebSocket upgrade on a WebSocket route may go on to the backend: the client's handshake
 * rate (429), its Origin (403), then the gateway's, the route's and the client's session limits (503), with a
 * shared store ({@link SharedLimits}) across all replicas, falling back to this replica's own when it cannot
 * answer. A refused handshake
 * costs the backend nothing, is logged with the route, the client address and why, and is counted in
 * {@code wsgate.handshakes.rejected}.
 */
final class HandshakeAdmissionFilter implements GlobalFilter, Ordered {

    private static final Logger logger = LoggerFactory.getLogger(HandshakeAdmissionFilter.class);

    private final WebSocketMetrics metrics;

    private final RouteSettingsCache routeSettings;

    private final SessionLimiter sessions;

    private final HandshakeRateLimiter rates;

    private final Duration retryAfter;

    private final SharedLimits shared;

    /** {@code shared}: the cluster's counts, or {@code null} when every limit holds per replica. */
    HandshakeAdmissionFilter(
            WebSocketMetrics metrics,
            RouteSettingsCache routeSettings,
            SessionLimiter sessions,
            HandshakeRateLimiter rates,
            Duration retryAfter,
            SharedLimits shared) {
        this.metrics = metrics;
        this.routeSettings = routeSettings;
        this.sessions = sessions;
        this.rates = rates;
        this.retryAfter = retryAfter;
        this.shared = shared;
    }

    @Override
    public int getOrder() {
        return FilterOrder.HANDSHAKE_ADMISSION;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        RouteSettings admission = WebSocketRelayFilter.upgradeRouteSettings(exchange, this.routeSettings);
        if (admission == null) {
            return chain.filter(exchange);
        }
        RouteMeters meters = this.metrics.route(admission.routeId());
        String client = clientKey(exchange);
        if (admission.handshakeRate() == null || client == null) {
            return admit(exchange, chain, admission, meters);
        }
        return handshakeWait(admission, client).flatMap(waitMillis -> {
            if (waitMillis == 0) {
                return admit(exchange, chain, admission, meters);
            }
            return reject(
                    exchange,
                    meters,
                    Level.INFO,
                    HttpStatus.TOO_MANY_REQUESTS,
                    RejectionReason.RATE_LIMITED,
                    "more than " + admission.handshakeRate() + " handshakes from this "
                            + (exchange.getAttribute(WebSocketRelayFilter.CLIENT_KEY_ATTR) != null
                                    ? "client (by its " + admission.clientKey().claim() + " claim)"
                                    : "address"),
                    Duration.ofMillis(waitMillis));
        });
    }

    /**
     * Who the client is for the per-client limits: its token claim's key where the token check set one, else its
     * address's; {@code null} when neither is known.
     */
    private String clientKey(ServerWebExchange exchange) {
        return this.rates.clientKey(
                exchange.getRequest().getRemoteAddress(), exchange.getAttribute(WebSocketRelayFilter.CLIENT_KEY_ATTR));
    }

    /** 0 when the client had a handshake token, else the milliseconds until its next one. */
    private Mono<Long> handshakeWait(RouteSettings admission, String client) {
        if (this.shared == null) {
            return Mono.just(localWait(admission, client));
        }
        String bucket = admission.routeId() + ":" + client + ":" + admission.handshakeRate();
        return this.shared
                .acquire(bucket, admission.handshakeRate())
                .map(wait -> wait == SharedLimits.UNKNOWN ? localWait(admission, client) : wait);
    }

    private long localWait(RouteSettings admission, String client) {
        Duration wait = this.rates.tryAcquire(admission.routeId(), client, admission.handshakeRate());
        return wait == null ? 0 : Math.max(1, wait.toMillis());
    }

    /** The Origin, then the session limits: this replica's, then (with a shared store) the cluster's. */
    private Mono<Void> admit(
            ServerWebExchange exchange, GatewayFilterChain chain, RouteSettings admission, RouteMeters meters) {
        String origin = exchange.getRequest().getHeaders().getOrigin();
        if (!admission.allowsOrigin(origin)) {
            return reject(
                    exchange,
                    meters,
                    Level.INFO,
                    HttpStatus.FORBIDDEN,
                    RejectionReason.ORIGIN_FORBIDDEN,
                    "origin " + origin + " is not allowed on this route",
                    null);
        }
        meters.sessionLimit(admission.maxSessions());
        if (admission.maxSessions() == 0 && admission.maxSessionsPerClient() == 0 && !this.sessions.limitsGlobally()) {
            return chain.filter(exchange);
        }
        SessionLimiter.Slot slot = this.sessions.slot(
                admission.routeId(),
                exchange.getRequest().getRemoteAddress(),
                exchange.getAttribute(WebSocketRelayFilter.CLIENT_KEY_ATTR),
                admission.maxSessions(),
                admission.maxSessionsPerClient());
        SessionLimiter.Reservation reservation =
                this.sessions.tryReserve(slot, exchange.getRequest().getRemoteAddress());
        if (reservation.refusal() != null) {
            return tooManySessions(exchange, meters, reservation.refusal());
        }
        if (this.shared == null) {
            return chain.filter(exchange).doFinally(signal -> this.sessions.finish(reservation));
        }
        return this.shared
                .take(slot.scopes(), slot.limits())
                .flatMap(taken -> {
                    if (taken > 0) {
                        return tooManySessions(
                                exchange,
                                meters,
                                SessionLimiter.full(taken - 1, slot.limits().get(taken - 1), " across replicas"));
                    }
                    if (taken == 0) {
                        reservation.sharedTaken();
                    }
                    return chain.filter(exchange);
                })
                .doFinally(signal -> this.sessions.finish(reservation));
    }

    private Mono<Void> tooManySessions(ServerWebExchange exchange, RouteMeters meters, String why) {
        return reject(
                exchange,
                meters,
                Level.WARN,
                HttpStatus.SERVICE_UNAVAILABLE,
                RejectionReason.TOO_MANY_SESSIONS,
                why,
                this.retryAfter);
    }

    /** Handshakes admitted against a session limit and not finished yet (their reservations). */
    int pendingHandshakes() {
        return this.sessions.pending();
    }

    private Mono<Void> reject(
            ServerWebExchange exchange,
            RouteMeters meters,
            Level level,
            HttpStatus status,
            RejectionReason reason,
            String why,
            Duration retryAfter) {
        InetSocketAddress client = exchange.getRequest().getRemoteAddress();
        logger.atLevel(level)
                .log(
                        "Route {}: refused handshake from {} with {}: {}",
                        meters.route(),
                        client != null && client.getAddress() != null
                                ? client.getAddress().getHostAddress()
                                : "-",
                        status.value(),
                        why);
        meters.handshakeRejected(reason, status.value());
        HandshakeRejection rejection = HandshakeRejection.of(status, "Refused: " + why);
        if (retryAfter != null) {
            rejection.headers().set(HttpHeaders.RETRY_AFTER, HandshakeRejection.retryAfterSeconds(retryAfter));
        }
        return rejection.writeTo(exchange.getResponse());
    }
}
