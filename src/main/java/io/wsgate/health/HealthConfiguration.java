package io.wsgate.health;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.WsgateProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.http.client.HttpClient;

/**
 * Route health: periodic WebSocket handshake probes of every route's backends, reported at
 * {@code /actuator/health/routes}. Not part of readiness unless the operator adds {@code routes} to the readiness
 * group: one sick backend must not take every gateway replica out of the load balancer.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
@ConditionalOnProperty(name = "wsgate.health.enabled", matchIfMissing = true)
class HealthConfiguration {

    @Bean
    RouteHealthMonitor routeHealthMonitor(
            RouteLocator routeLocator,
            ObjectProvider<ReactiveDiscoveryClient> discoveryClient,
            WsgateProperties properties,
            HttpClient gatewayHttpClient,
            MeterRegistry meterRegistry,
            RouteSettingsCache routeSettings) {
        WsgateProperties.Health health = properties.getHealth();
        return new RouteHealthMonitor(
                routeLocator,
                new RouteBackends(discoveryClient.getIfAvailable(), routeSettings),
                new BackendProbe(gatewayHttpClient, health.getTimeout()),
                health.getInterval(),
                meterRegistry);
    }

    /** Named {@code routes} in the health tree (Boot drops the {@code HealthContributor} suffix). */
    @Bean
    RouteBackendHealthContributor routesHealthContributor(RouteHealthMonitor routeHealthMonitor) {
        return new RouteBackendHealthContributor(routeHealthMonitor);
    }
}
