package io.wsgate.auth;

import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;

/**
 * Handshake authentication ({@code wsgate.auth.*}, route metadata {@code auth*}), with the {@code ReactiveJwtDecoder}
 * Spring Boot builds from {@code spring.security.oauth2.resourceserver.jwt.*}.
 */
@Configuration(proxyBeanMethods = false)
class AuthConfiguration {

    /**
     * Spring Security is on the classpath for its JWT decoder only. Without a chain of ours, Boot would require a
     * login for every request, add CSRF checks and response headers, on the traffic and the management port. This
     * chain matches no request, so Spring Security's filter passes every exchange on untouched; tokens are checked by
     * {@link HandshakeAuthFilter}, on the routes that ask for it.
     */
    @Bean
    SecurityWebFilterChain wsgateSecurityWebFilterChain(ServerHttpSecurity http) {
        return http.securityMatcher(exchange -> ServerWebExchangeMatcher.MatchResult.notMatch())
                .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .headers(ServerHttpSecurity.HeaderSpec::disable)
                .build();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
    static class GatewayAuthConfiguration {

        @Bean
        HandshakeAuthFilter handshakeAuthFilter(
                WsgateProperties properties,
                WebSocketMetrics metrics,
                RouteSettingsCache routeSettings,
                ObjectProvider<ReactiveJwtDecoder> decoder) {
            WsgateProperties.Auth auth = properties.getAuth();
            return new HandshakeAuthFilter(
                    metrics,
                    routeSettings,
                    decoder,
                    auth.getCookieName(),
                    auth.getExpiryGrace(),
                    properties.getLimits().getRetryAfter());
        }
    }
}
