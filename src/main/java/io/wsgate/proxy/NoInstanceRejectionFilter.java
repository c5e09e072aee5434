package io.wsgate.proxy;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;

import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.vocabulary.RejectionReason;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.NotFoundException;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Counts WebSocket upgrades that a load-balanced route could not send anywhere: the gateway's load balancer
 * filter answers them 503 before {@link WebSocketRelayFilter} sees them.
 */
class NoInstanceRejectionFilter implements GlobalFilter, Ordered {

    private final WebSocketMetrics metrics;

    NoInstanceRejectionFilter(WebSocketMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public int getOrder() {
        return FilterOrder.NO_INSTANCE_REJECTION;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        if (!UpgradeRequestCheck.isUpgrade(exchange.getRequest().getHeaders())) {
            return chain.filter(exchange);
        }
        return chain.filter(exchange).doOnError(NotFoundException.class, ex -> {
            Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
            String routeId = route != null ? route.getId() : "unknown";
            this.metrics
                    .route(routeId)
                    .handshakeRejected(
                            RejectionReason.NO_INSTANCE, ex.getStatusCode().value());
        });
    }
}
