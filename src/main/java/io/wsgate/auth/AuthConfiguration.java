package io.wsgate.auth;

import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import reactor.netty.ReactorNetty;
import reactor.netty.http.server.logging.AccessLog;

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

    /** Every request's {@code access_token} redacted before anything can log its URI. */
    @Bean
    QueryTokenRedaction queryTokenRedaction() {
        return new QueryTokenRedaction();
    }

    /**
     * Reactor Netty's access log, when {@code -Dreactor.netty.http.server.accessLogEnabled=true} turns it on, in its
     * default format but with {@code access_token} redacted: it prints the request line as received, which no
     * WebFlux decorator can change. The traffic server here; the management server gets it from
     * {@link ManagementAccessLogConfiguration}.
     */
    @Bean
    NettyServerCustomizer redactingAccessLog() {
        return redactingAccessLogCustomizer();
    }

    static NettyServerCustomizer redactingAccessLogCustomizer() {
        boolean enabled = Boolean.getBoolean(ReactorNetty.ACCESS_LOG_ENABLED);
        return httpServer -> enabled
                ? httpServer.accessLog(
                        true,
                        args -> AccessLog.create(
                                "{} - {} [{}] \"{} {} {}\" {} {} {}",
                                args.remoteAddress() instanceof java.net.InetSocketAddress address
                                        ? address.getHostString()
                                        : "-",
                                args.user(),
                                args.zonedDateTime(),
                                args.method(),
                                QueryTokenRedaction.redact(args.uri()),
                                args.protocol(),
                                args.status(),
                                args.contentLength() > -1 ? args.contentLength() : "-",
                                args.duration()))
                : httpServer;
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
    static class GatewayAuthConfiguration {

        @Bean
        HandshakeAuthFilter handshakeAuthFilter(
                WsgateProperties properties,
                WebSocketMetrics metrics,
                RouteSettingsCache routeSettings,
                QueryTokenRedaction queryTokens,
                ObjectProvider<ReactiveJwtDecoder> decoder) {
            WsgateProperties.Auth auth = properties.getAuth();
            return new HandshakeAuthFilter(
                    metrics,
                    routeSettings,
                    queryTokens,
                    decoder,
                    auth.getCookieName(),
                    auth.getExpiryGrace(),
                    properties.getLimits().getRetryAfter());
        }
    }
}
