package io.wsgate.config;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.springframework.cloud.gateway.route.Route;

/**
 * Settings a feature reads from a route's metadata, parsed once per version of that metadata: routes may be
 * reloaded, so an entry is parsed again when its route's metadata changed. A parser that throws caches nothing.
 */
public final class RouteMetadataCache<T> {

    private record Parsed<T>(Map<String, Object> metadata, T value) {}

    private final Function<Route, T> parser;

    private final Map<String, Parsed<T>> byRoute = new ConcurrentHashMap<>();

    /** {@code parser} reads the settings from a route (its metadata, and its id for messages). */
    public RouteMetadataCache(Function<Route, T> parser) {
        this.parser = parser;
    }

    public T get(Route route) {
        Map<String, Object> metadata = route.getMetadata();
        Parsed<T> parsed = this.byRoute.get(route.getId());
        if (parsed == null || !parsed.metadata().equals(metadata)) {
            parsed = new Parsed<>(Map.copyOf(metadata), this.parser.apply(route));
            this.byRoute.put(route.getId(), parsed);
        }
        return parsed.value();
    }
}
