package io.wsgate.reload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.handler.predicate.PredicateDefinition;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The route source in force: configured routes, then a file version's whole set; never the actuator's writes. */
class RouteFileRepositoryTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final GatewayProperties configured = new GatewayProperties();

    private final RouteFileRepository repository = new RouteFileRepository(this.configured);

    @Test
    void servesTheConfiguredRoutesUntilAFileVersionReplacesThemWhole() {
        this.configured.setRoutes(new ArrayList<>(List.of(route("echo", true), route("off", false))));
        StepVerifier.create(this.repository.getRouteDefinitions().map(RouteDefinition::getId))
                .expectNext("echo")
                .expectComplete()
                .verify(TIMEOUT);

        this.repository.replace(List.of(route("chat", true), route("paused", false), route("feed", true)));

        // The whole set: the configured echo route is gone, disabled routes are left out as at start-up.
        StepVerifier.create(this.repository.getRouteDefinitions().map(RouteDefinition::getId))
                .expectNext("chat", "feed")
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(this.repository.routes())
                .extracting(RouteDefinition::getId)
                .containsExactly("chat", "paused", "feed");
        assertThat(this.configured.getRoutes())
                .extracting(RouteDefinition::getId)
                .containsExactly("echo", "off");
    }

    @Test
    void writesThroughTheActuatorRouteApiAreRefusedWith405() {
        StepVerifier.create(this.repository.save(Mono.just(route("api", true))))
                .expectErrorSatisfies(ex -> assertThat(ex)
                        .isInstanceOf(ResponseStatusException.class)
                        .satisfies(refused -> assertThat(((ResponseStatusException) refused).getStatusCode())
                                .isEqualTo(HttpStatus.METHOD_NOT_ALLOWED)))
                .verify(TIMEOUT);
        StepVerifier.create(this.repository.delete(Mono.just("echo")))
                .expectError(ResponseStatusException.class)
                .verify(TIMEOUT);
        assertThat(this.repository.routes()).isEmpty();
    }

    private static RouteDefinition route(String id, boolean enabled) {
        RouteDefinition route = new RouteDefinition();
        route.setId(id);
        route.setUri(URI.create("ws://127.0.0.1:9"));
        route.setPredicates(List.of(new PredicateDefinition("Path=/" + id + "/**")));
        route.setEnabled(enabled);
        return route;
    }
}
