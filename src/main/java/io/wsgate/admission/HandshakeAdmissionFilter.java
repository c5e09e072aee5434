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
 * rate (429), its Origin (403), then the route's and the gateway's session limits (503). A refused handshake
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

    HandshakeAdmissionFilter(
            WebSocketMetrics metrics,
            RouteSettingsCache routeSettings,
            SessionLimiter sessions,
            HandshakeRateLimiter rates,
            Duration retryAfter) {
        this.metrics = metrics;
        this.routeSettings = routeSettings;
        this.sessions = sessions;
        this.rates = rates;
        this.retryAfter = retryAfter;
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
        HttpHeaders headers = exchange.getRequest().getHeaders();
        RouteMeters meters = this.metrics.route(admission.routeId());
        InetSocketAddress client = exchange.getRequest().getRemoteAddress();

        if (admission.handshakeRate() != null && client != null && client.getAddress() != null) {
            Duration wait = this.rates.tryAcquire(admission.routeId(), client.getAddress(), admission.handshakeRate());
            if (wait != null) {
                return reject(
                        exchange,
                        meters,
                        Level.INFO,
                        HttpStatus.TOO_MANY_REQUESTS,
                        RejectionReason.RATE_LIMITED,
                        "more than " + admission.handshakeRate() + " handshakes from this address",
                        wait);
            }
        }
        String origin = headers.getOrigin();
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
        if (admission.maxSessions() == 0 && !this.sessions.limitsGlobally()) {
            return chain.filter(exchange);
        }
        String full = this.sessions.tryReserve(meters, admission.maxSessions());
        if (full != null) {
            return reject(
                    exchange,
                    meters,
                    Level.WARN,
                    HttpStatus.SERVICE_UNAVAILABLE,
                    RejectionReason.TOO_MANY_SESSIONS,
                    full,
                    this.retryAfter);
        }
        return chain.filter(exchange).doFinally(signal -> this.sessions.release(meters));
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
