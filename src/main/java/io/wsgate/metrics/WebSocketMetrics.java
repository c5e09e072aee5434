package io.wsgate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** wsgate's WebSocket meters, one {@link RouteMeters} per route id, created on first use. */
public class WebSocketMetrics {

    private final MeterRegistry registry;

    private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();

    public WebSocketMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public RouteMeters route(String routeId) {
        return this.routes.computeIfAbsent(routeId, id -> new RouteMeters(this.registry, id));
    }

    /** Sessions open now across all routes. */
    public long activeSessions() {
        long active = 0;
        for (RouteMeters meters : this.routes.values()) {
            active += meters.activeSessions();
        }
        return active;
    }
}
