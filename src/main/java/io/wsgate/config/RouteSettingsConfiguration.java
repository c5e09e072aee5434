package io.wsgate.config;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

/**
 * The route settings model, and its start-up check: every configured route's metadata is parsed before the server
 * starts, so a value wsgate cannot use stops the application with one line naming the route, key and value
 * ({@link InvalidRouteSettingsFailureAnalyzer}) instead of failing each handshake on that route later.
 */
@Configuration(proxyBeanMethods = false)
class RouteSettingsConfiguration {

    @Bean
    RouteSettingsParser routeSettingsParser(
            WsgateProperties properties, ObjectProvider<ReactiveJwtDecoder> jwtDecoder) {
        // Boot declares the decoder only when an issuer or JWK set is configured; `auth: jwt` needs one.
        return new RouteSettingsParser(properties, jwtDecoder.getIfAvailable() != null);
    }

    @Bean
    RouteSettingsCache routeSettingsCache(RouteSettingsParser parser) {
        return new RouteSettingsCache(parser);
    }

    @Bean
    InitializingBean configuredRouteSettingsCheck(
            RouteSettingsParser parser, ObjectProvider<GatewayProperties> gatewayProperties) {
        // No GatewayProperties in echo mode (the gateway off): no routes to check.
        return () -> gatewayProperties.ifAvailable(gateway -> {
            for (RouteDefinition route : gateway.getRoutes()) {
                parser.check(route.getId(), route.getMetadata());
            }
        });
    }
}
