package io.wsgate.proxy;

import io.wsgate.config.RouteMetadataCache;
import io.wsgate.config.WsgateProperties;
import io.wsgate.session.RoutePolicy;
import java.util.Map;
import org.springframework.cloud.gateway.route.Route;

/** Each route's {@link RoutePolicy}, parsed once per version of the route's metadata. */
class RoutePolicies {

    private final RoutePolicy defaultPolicy;

    private final RouteMetadataCache<RoutePolicy> byRoute;

    RoutePolicies(WsgateProperties.Session defaults) {
        this.defaultPolicy = RoutePolicy.of(Map.of(), defaults);
        this.byRoute = new RouteMetadataCache<>(route -> RoutePolicy.of(route.getMetadata(), defaults));
    }

    /** The policy of {@code route}; throws {@link IllegalArgumentException} for metadata that does not parse. */
    RoutePolicy of(Route route) {
        return route == null ? this.defaultPolicy : this.byRoute.get(route);
    }
}
