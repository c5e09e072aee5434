package io.wsgate.balancing;

import io.wsgate.config.RouteSettingsCache;
import io.wsgate.session.SessionRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The load balancer of every service's child context (Spring Cloud LoadBalancer's per-client configuration). Not a
 * {@code @Configuration}: component scanning must not put it in the application's own context.
 */
class InstanceChoiceConfiguration {

    @Bean
    ReactorLoadBalancer<ServiceInstance> instanceChoice(
            Environment environment,
            LoadBalancerClientFactory factory,
            ObjectProvider<SessionRegistry> sessions,
            ObjectProvider<RouteSettingsCache> settings) {
        String service = environment.getProperty(LoadBalancerClientFactory.PROPERTY_NAME);
        return new InstanceChoice(
                factory.getLazyProvider(service, ServiceInstanceListSupplier.class),
                sessions.getIfAvailable(),
                settings.getIfAvailable());
    }
}
