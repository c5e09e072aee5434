package io.wsgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.vocabulary.RejectionReason;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** wsgate's WebSocket meters, one {@link RouteMeters} per route id, created on first use. */
public class WebSocketMetrics {

    /** The {@code route} tag of requests refused before any route was chosen. */
    public static final String NO_ROUTE = "none";

    private final MeterRegistry registry;

    private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();

    private final ActiveSessions activeSessions;

    public WebSocketMetrics(MeterRegistry registry, ActiveSessions activeSessions) {
        this.registry = registry;
        this.activeSessions = activeSessions;
    }

    public RouteMeters route(String routeId) {
        return this.routes.computeIfAbsent(routeId, id -> new RouteMeters(this.registry, id, this.activeSessions));
    }

    /**
     * Counts a request refused before any route was chosen (a request head too large, too slow or malformed):
     * {@code wsgate.handshakes.rejected} with {@code route=none}.
     */
    public void handshakeRejectedBeforeRouting(RejectionReason reason, int status) {
        Counter.builder(WsgateMeterNames.HANDSHAKES_REJECTED)
                .description("WebSocket upgrade requests answered with an HTTP error instead of 101")
                .tags(
                        WsgateMeterNames.TAG_ROUTE,
                        NO_ROUTE,
                        WsgateMeterNames.TAG_REASON,
                        reason.tag(),
                        WsgateMeterNames.TAG_STATUS,
                        Integer.toString(status))
                .register(this.registry)
                .increment();
    }
}
