package io.wsgate.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.cloud.gateway.route.Route;

/**
 * Each route's {@link RouteSettings}, parsed once per version of its metadata: routes may be reloaded, so an entry
 * is parsed again when its route's metadata changed. Routes from the configuration and the route file were
 * checked before they were put in force; a route from elsewhere (the actuator's route API, a {@code RouteLocator}
 * bean) that does not parse throws here on each use, and caches nothing.
 */
public final class RouteSettingsCache {

    private record Parsed(Map<String, Object> metadata, RouteSettings settings) {}

    private final RouteSettingsParser parser;

    private final RouteSettings defaults;

    private final Map<String, Parsed> byRoute = new ConcurrentHashMap<>();

    public RouteSettingsCache(RouteSettingsParser parser) {
        this.parser = parser;
        this.defaults = parser.defaults("unknown");
    }

    /**
     * The settings of {@code route}; the defaults for no route.
     *
     * @throws InvalidRouteSettingsException for metadata that does not parse
     */
    public RouteSettings get(Route route) {
        if (route == null) {
            return this.defaults;
        }
        Map<String, Object> metadata = route.getMetadata();
        Parsed parsed = this.byRoute.get(route.getId());
        if (parsed == null || !parsed.metadata().equals(metadata)) {
            parsed = new Parsed(
                    Collections.unmodifiableMap(new LinkedHashMap<>(metadata)),
                    this.parser.parse(route.getId(), metadata));
            this.byRoute.put(route.getId(), parsed);
        }
        return parsed.settings();
    }
}
