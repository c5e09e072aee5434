package io.wsgate.reload;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.util.StringUtils;

/**
 * Reads the routes of a YAML file the way Spring Boot reads {@code application.yml}: Boot's YAML loader and
 * {@link Binder} bind {@code spring.cloud.gateway.server.webflux.routes} to Spring Cloud Gateway's
 * {@link RouteDefinition}s, placeholders resolve against the file and then the running environment, and each
 * definition is validated with the same constraints as at startup.
 */
class RouteFile {

    static final String ROUTES = GatewayProperties.PREFIX + ".routes";

    private final ConfigurableEnvironment environment;

    private final Validator validator;

    RouteFile(ConfigurableEnvironment environment, Validator validator) {
        this.environment = environment;
        this.validator = validator;
    }

    /**
     * The routes {@code content} declares, or empty when it has no routes key at all.
     *
     * @throws InvalidRouteFileException for YAML that does not parse, routes that do not bind, fail
     *     validation, or repeat an id
     */
    Optional<List<RouteDefinition>> parse(String name, String content) {
        List<PropertySource<?>> fileSources = load(name, content);
        MutablePropertySources placeholderSources = new MutablePropertySources();
        fileSources.forEach(placeholderSources::addLast);
        this.environment.getPropertySources().forEach(placeholderSources::addLast);
        Binder binder = new Binder(
                ConfigurationPropertySources.from(fileSources),
                new PropertySourcesPlaceholdersResolver(placeholderSources));
        List<RouteDefinition> routes;
        try {
            routes = binder.bind(ROUTES, Bindable.listOf(RouteDefinition.class)).orElse(null);
        } catch (RuntimeException ex) {
            throw new InvalidRouteFileException(describe(ex), ex);
        }
        if (routes == null) {
            return Optional.empty();
        }
        validate(routes);
        return Optional.of(List.copyOf(routes));
    }

    private static List<PropertySource<?>> load(String name, String content) {
        try {
            return new YamlPropertySourceLoader()
                    .load(name, new ByteArrayResource(content.getBytes(StandardCharsets.UTF_8), name));
        } catch (IOException | RuntimeException ex) {
            throw new InvalidRouteFileException("not valid YAML: " + describe(ex), ex);
        }
    }

    private void validate(List<RouteDefinition> routes) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < routes.size(); i++) {
            RouteDefinition route = routes.get(i);
            String at = ROUTES + "[" + i + "]";
            if (!StringUtils.hasText(route.getId())) {
                throw new InvalidRouteFileException(at + " has no id");
            }
            if (!ids.add(route.getId())) {
                throw new InvalidRouteFileException(at + ": route id '" + route.getId() + "' is used twice");
            }
            Set<ConstraintViolation<RouteDefinition>> violations = this.validator.validate(route);
            if (!violations.isEmpty()) {
                String problems = violations.stream()
                        .map(violation -> violation.getPropertyPath() + " " + violation.getMessage())
                        .sorted()
                        .collect(Collectors.joining(", "));
                throw new InvalidRouteFileException("route '" + route.getId() + "': " + problems);
            }
        }
    }

    /** The exception's messages down to its root cause: a binding error names the property, its cause the why. */
    static String describe(Throwable ex) {
        List<String> messages = new ArrayList<>();
        for (Throwable current = ex; current != null; current = current.getCause()) {
            String message = current.getMessage() != null
                    ? current.getMessage()
                    : current.getClass().getSimpleName();
            if (!messages.contains(message)) {
                messages.add(message.strip());
            }
            if (current.getCause() == current) {
                break;
            }
        }
        return String.join(": ", messages);
    }
}
