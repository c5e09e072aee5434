package io.wsgate.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.config.RedactedUri;
import io.wsgate.metrics.WsgateMeterNames;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Probes the backends of every WebSocket route on a fixed interval and keeps the latest results, so that health
 * requests read a cache and never storm the backends. A route's status changes are logged once.
 */
class RouteHealthMonitor implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(RouteHealthMonitor.class);

    private final RouteLocator routeLocator;

    private final RouteBackends routeBackends;

    private final BackendProbe probe;

    private final Duration interval;

    private final Map<String, RouteCheck> latest = new ConcurrentHashMap<>();

    private final MeterRegistry meterRegistry;

    private volatile Disposable schedule;

    RouteHealthMonitor(
            RouteLocator routeLocator,
            RouteBackends routeBackends,
            BackendProbe probe,
            Duration interval,
            MeterRegistry meterRegistry) {
        this.routeLocator = routeLocator;
        this.meterRegistry = meterRegistry;
        this.routeBackends = routeBackends;
        this.probe = probe;
        this.interval = interval;
    }

    /** The latest check of each WebSocket route, by route id. */
    Map<String, RouteCheck> latest() {
        return this.latest;
    }

    /** Probes every WebSocket route once now. */
    Mono<Void> checkAll() {
        return this.routeLocator
                .getRoutes()
                .filter(RouteBackends::isWebSocketRoute)
                .flatMap(route -> checkRoute(route).map(check -> Map.entry(route.getId(), check)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .doOnNext(this::publish)
                .then();
    }

    private Mono<RouteCheck> checkRoute(Route route) {
        return this.routeBackends
                .backends(route)
                .flatMapMany(Flux::fromIterable)
                .flatMap(this.probe::check)
                .collectList()
                .map(checks -> new RouteCheck(route.getUri(), checks))
                .onErrorResume(ex -> Mono.just(new RouteCheck(route.getUri(), List.of())));
    }

    private void publish(Map<String, RouteCheck> checks) {
        checks.forEach((routeId, check) -> {
            RouteCheck previous = this.latest.put(routeId, check);
            if (previous == null) {
                Gauge.builder(
                                WsgateMeterNames.ROUTE_UP,
                                this.latest,
                                latestChecks -> upValue(latestChecks.get(routeId)))
                        .description("1 when the route's last health probe reached a backend, 0 when none answered")
                        .tag(WsgateMeterNames.TAG_ROUTE, routeId)
                        .register(this.meterRegistry);
            }
            if (previous == null || previous.up() != check.up()) {
                if (check.up()) {
                    logger.info("Route {}: backend {} is UP", routeId, RedactedUri.of(check.routeUri()));
                } else {
                    logger.warn(
                            "Route {}: backend {} is DOWN: {}",
                            routeId,
                            RedactedUri.of(check.routeUri()),
                            check.errors());
                }
            }
        });
        // Routes removed from the configuration (a route reload, say) leave the health report and wsgate.route.up:
        // a gauge stuck at 0 would look like a backend outage.
        Set<String> gone = this.latest.keySet().stream()
                .filter(id -> !checks.containsKey(id))
                .collect(Collectors.toSet());
        gone.forEach(routeId -> {
            this.latest.remove(routeId);
            Gauge gauge = this.meterRegistry
                    .find(WsgateMeterNames.ROUTE_UP)
                    .tag(WsgateMeterNames.TAG_ROUTE, routeId)
                    .gauge();
            if (gauge != null) {
                this.meterRegistry.remove(gauge);
            }
        });
    }

    private static double upValue(RouteCheck check) {
        return check != null && check.up() ? 1 : 0;
    }

    @Override
    public void start() {
        this.schedule = Flux.interval(Duration.ZERO, this.interval)
                .onBackpressureDrop()
                .concatMap(tick -> checkAll().onErrorResume(ex -> {
                    logger.warn("Route health check failed: {}", ex.toString());
                    return Mono.empty();
                }))
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable current = this.schedule;
        if (current != null) {
            current.dispose();
        }
        this.schedule = null;
    }

    @Override
    public boolean isRunning() {
        return this.schedule != null;
    }

    /** One round of checks of one route: UP when at least one backend answered the handshake. */
    record RouteCheck(URI routeUri, List<BackendCheck> backends) {

        boolean up() {
            return this.backends.stream().anyMatch(BackendCheck::up);
        }

        String errors() {
            if (this.backends.isEmpty()) {
                return "no backend instance";
            }
            return this.backends.stream()
                    .filter(check -> !check.up())
                    .map(check -> RedactedUri.of(check.backend()) + ": " + check.error())
                    .collect(Collectors.joining("; "));
        }
    }
}
