package io.wsgate.support;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Declares gateway routes in a test's {@code @DynamicPropertySource}, one indexed entry of
 * {@code spring.cloud.gateway.server.webflux.routes} at a time.
 */
public final class GatewayRoutes {

    private static final String ROUTES = "spring.cloud.gateway.server.webflux.routes";

    private final DynamicPropertyRegistry registry;

    private int next;

    public GatewayRoutes(DynamicPropertyRegistry registry) {
        this.registry = registry;
    }

    /** A route {@code id} from {@code path} (prefix stripped) to {@code uri}. */
    public Route add(String id, String uri, String path) {
        String prefix = ROUTES + "[" + this.next++ + "].";
        this.registry.add(prefix + "id", () -> id);
        this.registry.add(prefix + "uri", () -> uri);
        this.registry.add(prefix + "predicates[0]", () -> "Path=" + path);
        this.registry.add(prefix + "filters[0]", () -> "StripPrefix=1");
        return new Route(prefix);
    }

    /** A declared route, to give wsgate settings in its {@code metadata}. */
    public final class Route {

        private final String prefix;

        private Route(String prefix) {
            this.prefix = prefix;
        }

        /** Sets the route's {@code metadata.KEY} (e.g. {@code idle-timeout}, {@code allowed-origins[0]}). */
        public Route metadata(String key, String value) {
            GatewayRoutes.this.registry.add(this.prefix + "metadata." + key, () -> value);
            return this;
        }
    }
}
