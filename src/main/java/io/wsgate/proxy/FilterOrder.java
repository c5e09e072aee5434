package io.wsgate.proxy;

import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;
import org.springframework.core.Ordered;

/**
 * The order of wsgate's filters among Spring Cloud Gateway's, in one place. A WebSocket handshake meets them top to
 * bottom: global filters lower first, then the headers filters that build the backend's request.
 */
public final class FilterOrder {

    /** First of all: no load balancing, no backend handshake for a request that will be refused while draining. */
    public static final int DRAINING_REJECTION = Ordered.HIGHEST_PRECEDENCE;

    /** Just before the load balancer filter (10150), to see its error when a route has no instance. */
    public static final int NO_INSTANCE_REJECTION =
            ReactiveLoadBalancerClientFilter.LOAD_BALANCER_CLIENT_FILTER_ORDER - 1;

    /**
     * After the load balancer, so {@code lb:ws://} has been resolved to an instance, and before the relay, so nothing
     * has been sent to a backend yet: session limits, handshake rate, Origin.
     */
    public static final int HANDSHAKE_ADMISSION = Ordered.LOWEST_PRECEDENCE - 3;

    /**
     * The relay: before the stock {@code WebsocketRoutingFilter} ({@code LOWEST_PRECEDENCE - 1}), which then sees
     * the exchange already routed and does nothing.
     */
    public static final int WEBSOCKET_RELAY = Ordered.LOWEST_PRECEDENCE - 2;

    /**
     * Headers filters for the backend's request: after Spring Cloud Gateway's own (forwarded headers, hop-by-hop
     * removal), so what they set or remove is final.
     */
    public static final int BACKEND_HEADERS = Ordered.LOWEST_PRECEDENCE;

    private FilterOrder() {}
}
