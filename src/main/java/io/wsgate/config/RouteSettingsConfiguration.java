package io.wsgate.config;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The route settings model, and its start-up check: every configured route's metadata is parsed before the server
 * starts, so a value wsgate cannot use stops the application with one line naming the route, key and value
 * ({@link InvalidRouteSettingsFailureAnalyzer}) instead of failing each handshake on that route later.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
class RouteSettingsConfiguration {

    @Bean
    RouteSettingsParser routeSettingsParser(WsgateProperties properties) {
        return new RouteSettingsParser(properties);
    }

    @Bean
    RouteSettingsCache routeSettingsCache(RouteSettingsParser parser) {
        return new RouteSettingsCache(parser);
    }

    @Bean
    InitializingBean configuredRouteSettingsCheck(RouteSettingsParser parser, GatewayProperties gatewayProperties) {
        return () -> {
            for (RouteDefinition route : gatewayProperties.getRoutes()) {
                parser.check(route.getId(), route.getMetadata());
            }
        };
    }
}
