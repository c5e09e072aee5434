package io.wsgate.admission;

import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.session.SessionRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.ProxyProtocolSupportType;

/**
 * Who may open a session: limits, origins and the real client address behind load balancers
 * ({@code wsgate.limits.*}, {@code wsgate.origins.*}, {@code wsgate.forwarded.*}).
 */
@Configuration(proxyBeanMethods = false)
class AdmissionConfiguration {

    /**
     * The traffic server's client address (the trusted proxies' header), PROXY protocol from trusted proxies only,
     * and the Host check. A factory customizer, not a {@code NettyServerCustomizer} bean: those also reach the
     * management server, whose probes come straight from the kubelet and must not need a PROXY header.
     */
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> clientAddressServerCustomizer(
            WsgateProperties properties, WebSocketMetrics metrics) {
        WsgateProperties.Forwarded forwarded = properties.getForwarded();
        ClientAddressResolver resolver =
                new ClientAddressResolver(forwarded.getTrustedProxies(), forwarded.getHeader());
        ProxyProtocolTrust proxyProtocolTrust = new ProxyProtocolTrust(forwarded.getProxyProtocol(), resolver);
        return factory -> factory.addServerCustomizers(httpServer -> {
            // Applied after Boot's own forwarded setting, so neither server.forward-headers-strategy nor a detected
            // cloud platform can make the traffic port believe the leftmost X-Forwarded-For.
            httpServer = forwarded.getHeader() != null
                            && !forwarded.getTrustedProxies().isEmpty()
                    ? httpServer.forwarded(resolver)
                    : httpServer.forwarded(false);
            if (forwarded.getProxyProtocol() != ProxyProtocolSupportType.OFF) {
                httpServer = httpServer.proxyProtocol(forwarded.getProxyProtocol());
            }
            return httpServer.doOnChannelInit((observer, channel, address) -> {
                proxyProtocolTrust.apply(channel);
                if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                    channel.pipeline()
                            .addAfter(NettyPipeline.HttpCodec, HostHeaderCheck.NAME, new HostHeaderCheck(metrics));
                }
            });
        });
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
    static class GatewayAdmissionConfiguration {

        @Bean
        HandshakeAdmissionFilter handshakeAdmissionFilter(
                WsgateProperties properties,
                WebSocketMetrics metrics,
                RouteSettingsCache routeSettings,
                SessionRegistry sessions,
                ObjectProvider<SharedLimits> sharedLimits) {
            WsgateProperties.Limits limits = properties.getLimits();
            SharedLimits shared = sharedLimits.getIfAvailable();
            SessionLimiter limiter =
                    new SessionLimiter(sessions, limits.getMaxSessions(), limits.getIpv6Prefix(), shared);
            sessions.addListener(limiter);
            if (shared != null) {
                shared.countFrom(limiter::counts);
            }
            return new HandshakeAdmissionFilter(
                    metrics,
                    routeSettings,
                    limiter,
                    new HandshakeRateLimiter(limits.getMaxTrackedClients(), limits.getIpv6Prefix()),
                    limits.getRetryAfter(),
                    shared);
        }

        @Bean
        ClientAddressHeadersFilter clientAddressHeadersFilter(WsgateProperties properties) {
            return new ClientAddressHeadersFilter(properties.getForwarded().isToBackend());
        }

        @Bean
        AbsentOriginFilter absentOriginFilter() {
            return new AbsentOriginFilter();
        }
    }
}
