package io.wsgate.balancing;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.context.annotation.Configuration;

/** Every {@code lb:} service is balanced by {@link InstanceChoice}, with the policy of the route that asks. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
@LoadBalancerClients(defaultConfiguration = InstanceChoiceConfiguration.class)
class BalancingConfiguration {}
