package io.wsgate.reload;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.config.PropertiesRouteDefinitionLocator;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionRepository;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The gateway's one source of route definitions while the route file is watched: the configured routes (bound from
 * {@code spring.cloud.gateway.server.webflux.routes} at start-up) until a version of the route file is put in
 * force, then that version's routes, the whole set. The bound {@link GatewayProperties} are never changed.
 *
 * <p>Spring Cloud Gateway's {@code CompositeRouteDefinitionLocator} serves every {@code RouteDefinitionLocator}
 * bean one after the other, so a repository beside the stock {@link PropertiesRouteDefinitionLocator} could only
 * add routes: a route removed from the file would stay, a changed one would be served twice. This class therefore
 * takes the place of both stock beans, each of which Spring Cloud Gateway declares only when no bean of its type
 * exists ({@code @ConditionalOnMissingBean}): it is the {@link PropertiesRouteDefinitionLocator} (whose own reading
 * of the properties, disabled routes left out, serves the configured routes) and the
 * {@link RouteDefinitionRepository} (instead of the {@code InMemoryRouteDefinitionRepository}).
 *
 * <p>Writes through the actuator's route API ({@code POST}/{@code DELETE /actuator/gateway/routes/{id}}, which
 * wsgate does not expose: its gateway endpoint is read-only) are refused with {@code 405}: such a route would skip
 * the checks a route file gets (wsgate's metadata, the dry run) and would be lost at the next file version anyway,
 * which replaces the whole set. Routes are edited in the route file.
 */
class RouteFileRepository extends PropertiesRouteDefinitionLocator implements RouteDefinitionRepository {

    private static final Logger logger = LoggerFactory.getLogger(RouteFileRepository.class);

    private final GatewayProperties configured;

    /** The route file version in force; {@code null} while the configured routes are. */
    private volatile List<RouteDefinition> fileRoutes;

    RouteFileRepository(GatewayProperties configured) {
        super(configured);
        this.configured = configured;
    }

    @Override
    public Flux<RouteDefinition> getRouteDefinitions() {
        return Flux.defer(() -> {
            List<RouteDefinition> routes = this.fileRoutes;
            // Disabled routes left out, as the properties' reading leaves them out.
            return routes == null
                    ? super.getRouteDefinitions()
                    : Flux.fromIterable(routes).filter(RouteDefinition::isEnabled);
        });
    }

    /** The definitions in force, disabled ones included: what a new file version is compared with. */
    List<RouteDefinition> routes() {
        List<RouteDefinition> routes = this.fileRoutes;
        return routes != null ? routes : List.copyOf(this.configured.getRoutes());
    }

    /** Puts a file version's routes in force, replacing every route before; the caller refreshes the routes. */
    void replace(List<RouteDefinition> routes) {
        this.fileRoutes = List.copyOf(routes);
    }

    @Override
    public Mono<Void> save(Mono<RouteDefinition> route) {
        return route.flatMap(definition -> refused("create or replace", definition.getId()));
    }

    @Override
    public Mono<Void> delete(Mono<String> routeId) {
        return routeId.flatMap(id -> refused("delete", id));
    }

    private static Mono<Void> refused(String write, String routeId) {
        String why = "wsgate's routes come from its configuration and route file (wsgate.reload.path): edit the file";
        logger.warn("Route API request to {} route {} refused: {}", write, routeId, why);
        return Mono.error(new ResponseStatusException(HttpStatus.METHOD_NOT_ALLOWED, why));
    }
}
