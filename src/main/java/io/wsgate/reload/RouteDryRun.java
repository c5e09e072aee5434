package io.wsgate.reload;

import io.wsgate.config.InvalidRouteSettingsException;
import io.wsgate.config.RouteSettingsParser;
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
 * factories, without installing them, and parses their metadata with the {@link RouteSettingsParser} the running
 * gateway uses: an unknown predicate or filter, arguments a factory refuses, or a metadata value wsgate cannot use
 * fail here instead of in the running gateway.
 */
class RouteDryRun {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final List<RoutePredicateFactory> predicates;

    private final List<GatewayFilterFactory> filters;

    private final GatewayProperties gatewayProperties;

    private final ConfigurationService configurationService;

    private final RouteSettingsParser settings;

    RouteDryRun(
            List<RoutePredicateFactory> predicates,
            List<GatewayFilterFactory> filters,
            GatewayProperties gatewayProperties,
            ConfigurationService configurationService,
            RouteSettingsParser settings) {
        this.predicates = predicates;
        this.filters = filters;
        this.gatewayProperties = gatewayProperties;
        this.configurationService = configurationService;
        this.settings = settings;
    }

    /** @throws InvalidRouteFileException naming the first route that does not build or parse, and why */
    void build(List<RouteDefinition> routes) {
        GatewayProperties strict = new GatewayProperties();
        // Fail instead of the gateway's choice to skip a broken route with a warning.
        strict.setFailOnRouteDefinitionError(true);
        strict.setDefaultFilters(this.gatewayProperties.getDefaultFilters());
        for (RouteDefinition route : routes) {
            try {
                this.settings.check(route.getId(), route.getMetadata());
            } catch (InvalidRouteSettingsException ex) {
                throw new InvalidRouteFileException(ex.getMessage(), ex);
            }
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
