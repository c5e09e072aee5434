package io.wsgate.drain;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;

import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.proxy.FilterOrder;
import io.wsgate.proxy.HandshakeRejection;
import io.wsgate.proxy.UpgradeRequestCheck;
import io.wsgate.session.SessionLog;
import io.wsgate.vocabulary.RejectionReason;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** While the gateway drains for shutdown, WebSocket handshakes get 503 with {@code Retry-After}, counted. */
class DrainingRejectionFilter implements GlobalFilter, Ordered {

    private static final Logger logger = LoggerFactory.getLogger(DrainingRejectionFilter.class);

    private final SessionDrain drain;

    private final WebSocketMetrics metrics;

    private final String retryAfterSeconds;

    DrainingRejectionFilter(SessionDrain drain, WebSocketMetrics metrics, Duration retryAfter) {
        this.drain = drain;
        this.metrics = metrics;
        this.retryAfterSeconds = HandshakeRejection.retryAfterSeconds(retryAfter);
    }

    @Override
    public int getOrder() {
        return FilterOrder.DRAINING_REJECTION;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        if (!this.drain.isDraining()
                || !UpgradeRequestCheck.isUpgrade(exchange.getRequest().getHeaders())) {
            return chain.filter(exchange);
        }
        Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
        String routeId = route != null ? route.getId() : "unknown";
        logger.info(
                "Route {}: refused handshake from {} with 503: shutting down",
                routeId,
                SessionLog.address(exchange.getRequest().getRemoteAddress()));
        this.metrics.route(routeId).handshakeRejected(RejectionReason.SHUTTING_DOWN, 503);
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, this.retryAfterSeconds);
        return new HandshakeRejection(HttpStatus.SERVICE_UNAVAILABLE, "shutting down", headers)
                .writeTo(exchange.getResponse());
    }
}
