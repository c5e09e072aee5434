package io.wsgate.reload;

import java.time.Duration;
import java.util.List;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.filter.factory.GatewayFilterFactory;
import org.springframework.cloud.gateway.handler.predicate.RoutePredicateFactory;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionRouteLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;
import reactor.core.publisher.Flux;

/**
 * Builds routes from definitions with the gateway's own {@link RouteDefinitionRouteLocator}, predicate and filter
 * factories, without installing them: an unknown predicate or filter, or arguments a factory refuses, fail here
 * instead of in the running gateway.
 */
class RouteDryRun {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final List<RoutePredicateFactory> predicates;

    private final List<GatewayFilterFactory> filters;

    private final GatewayProperties gatewayProperties;

    private final ConfigurationService configurationService;

    RouteDryRun(
            List<RoutePredicateFactory> predicates,
            List<GatewayFilterFactory> filters,
            GatewayProperties gatewayProperties,
            ConfigurationService configurationService) {
        this.predicates = predicates;
        this.filters = filters;
        this.gatewayProperties = gatewayProperties;
        this.configurationService = configurationService;
    }

    /** @throws InvalidRouteFileException naming the first route that does not build, and why */
    void build(List<RouteDefinition> routes) {
        GatewayProperties strict = new GatewayProperties();
        // Fail instead of the gateway's choice to skip a broken route with a warning.
        strict.setFailOnRouteDefinitionError(true);
        strict.setDefaultFilters(this.gatewayProperties.getDefaultFilters());
        for (RouteDefinition route : routes) {
            RouteDefinitionRouteLocator locator = new RouteDefinitionRouteLocator(
                    () -> Flux.just(route), this.predicates, this.filters, strict, this.configurationService);
            try {
                locator.getRoutes().collectList().block(TIMEOUT);
            } catch (RuntimeException ex) {
                throw new InvalidRouteFileException("route '" + route.getId() + "': " + RouteFile.describe(ex), ex);
            }
        }
    }
}
