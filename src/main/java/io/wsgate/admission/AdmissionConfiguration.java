package io.wsgate.admission;

import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.http.server.ProxyProtocolSupportType;

/**
 * Who may open a session: limits, origins and the real client address behind load balancers
 * ({@code wsgate.limits.*}, {@code wsgate.origins.*}, {@code wsgate.forwarded.*}).
 */
@Configuration(proxyBeanMethods = false)
class AdmissionConfiguration {

    /**
     * The traffic server's client address (trusted Forwarded/X-Forwarded-For) and PROXY protocol. A factory
     * customizer, not a {@code NettyServerCustomizer} bean: those also reach the management server, whose probes
     * come straight from the kubelet and must not need a PROXY header.
     */
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> clientAddressServerCustomizer(
            WsgateProperties properties) {
        WsgateProperties.Forwarded forwarded = properties.getForwarded();
        ClientAddressResolver resolver = new ClientAddressResolver(forwarded.getTrustedProxies());
        return factory -> factory.addServerCustomizers(httpServer -> {
            if (!forwarded.getTrustedProxies().isEmpty()) {
                httpServer = httpServer.forwarded(resolver);
            }
            if (forwarded.getProxyProtocol() != ProxyProtocolSupportType.OFF) {
                httpServer = httpServer.proxyProtocol(forwarded.getProxyProtocol());
            }
            return httpServer;
        });
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
    static class GatewayAdmissionConfiguration {

        @Bean
        HandshakeAdmissionFilter handshakeAdmissionFilter(WsgateProperties properties, WebSocketMetrics metrics) {
            WsgateProperties.Limits limits = properties.getLimits();
            RouteAdmission defaults = new RouteAdmission(
                    limits.getMaxSessionsPerRoute(),
                    HandshakeRate.parse(limits.getHandshakeRatePerClient()),
                    RouteAdmission.originsOf(properties.getOrigins().getAllowed()));
            return new HandshakeAdmissionFilter(
                    metrics,
                    defaults,
                    new SessionLimiter(metrics, limits.getMaxSessions()),
                    new HandshakeRateLimiter(limits.getMaxTrackedClients()),
                    limits.getRetryAfter());
        }

        @Bean
        @ConditionalOnProperty(name = "wsgate.forwarded.to-backend", matchIfMissing = true)
        ClientAddressHeadersFilter clientAddressHeadersFilter() {
            return new ClientAddressHeadersFilter();
        }
    }
}
