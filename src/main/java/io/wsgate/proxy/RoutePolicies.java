package io.wsgate.proxy;

import io.wsgate.config.WsgateProperties;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.cloud.gateway.route.Route;

/** Each route's {@link RoutePolicy}, parsed once per version of the route's metadata. */
class RoutePolicies {

    private record Parsed(Map<String, Object> metadata, RoutePolicy policy) {}

    private final WsgateProperties.Session defaults;

    private final RoutePolicy defaultPolicy;

    private final Map<String, Parsed> byRoute = new ConcurrentHashMap<>();

    RoutePolicies(WsgateProperties.Session defaults) {
        this.defaults = defaults;
        this.defaultPolicy = RoutePolicy.of(Map.of(), defaults);
    }

    /** The policy of {@code route}; throws {@link IllegalArgumentException} for metadata that does not parse. */
    RoutePolicy of(Route route) {
        if (route == null) {
            return this.defaultPolicy;
        }
        Map<String, Object> metadata = route.getMetadata();
        Parsed parsed = this.byRoute.get(route.getId());
        if (parsed == null || !parsed.metadata().equals(metadata)) {
            parsed = new Parsed(Map.copyOf(metadata), RoutePolicy.of(metadata, this.defaults));
            this.byRoute.put(route.getId(), parsed);
        }
        return parsed.policy();
    }
}
