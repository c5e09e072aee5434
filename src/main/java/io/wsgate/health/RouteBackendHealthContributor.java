package io.wsgate.health;

import io.wsgate.config.RedactedUri;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code /actuator/health/routes}: one component per WebSocket route with its backends' status, handshake
 * latency, last error and when they were checked, read from {@link RouteHealthMonitor}'s cache.
 */
class RouteBackendHealthContributor implements CompositeHealthContributor {

    private final RouteHealthMonitor monitor;

    RouteBackendHealthContributor(RouteHealthMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public HealthContributor getContributor(String name) {
        return this.monitor.latest().containsKey(name) ? indicator(name) : null;
    }

    @Override
    public Stream<Entry> stream() {
        return this.monitor.latest().keySet().stream().sorted().map(name -> new Entry(name, indicator(name)));
    }

    private HealthIndicator indicator(String routeId) {
        return () -> {
            RouteHealthMonitor.RouteCheck check = this.monitor.latest().get(routeId);
            if (check == null) {
                return Health.unknown().withDetail("reason", "not checked yet").build();
            }
            Health.Builder health = check.up() ? Health.up() : Health.down();
            // Redacted: these details are served to whoever reaches the management port.
            health.withDetail("uri", RedactedUri.of(check.routeUri()));
            if (check.backends().isEmpty()) {
                health.withDetail("error", "no backend instance");
            }
            List<Map<String, Object>> backends = check.backends().stream()
                    .map(RouteBackendHealthContributor::details)
                    .toList();
            return health.withDetail("backends", backends).build();
        };
    }

    private static Map<String, Object> details(BackendCheck check) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("backend", RedactedUri.of(check.backend()));
        details.put("status", check.up() ? "UP" : "DOWN");
        details.put("latencyMs", check.latency().toMillis());
        details.put("checkedAt", check.checkedAt().toString());
        if (check.error() != null) {
            details.put("error", check.error());
        }
        return details;
    }
}
