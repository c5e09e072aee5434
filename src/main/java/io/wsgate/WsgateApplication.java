package io.wsgate;

import io.wsgate.drain.ExitOnTerm;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * wsgate: a WebSocket gateway on Spring Cloud Gateway, with a bundled echo backend.
 *
 * <p>Excluded: auto-configurations that the starters bring and that nothing in wsgate uses, whatever its properties
 * (transactions, Spring Data repositories, the blocking RestClient and the load-balanced RestTemplate, RestClient and
 * WebClient, Boot's task executor and scheduler, Spring Cloud's refresh scope and its endpoints, which are never
 * exposed, multipart codecs and two classpath checks). Each costs start-up time (its conditions and beans): together
 * about 0.3 s of the image's 2.8 s from process start to the first relayed message.
 */
@SpringBootApplication(
        excludeName = {
            "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
            "org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration",
            "org.springframework.boot.persistence.autoconfigure.PersistenceExceptionTranslationAutoConfiguration",
            "org.springframework.boot.data.autoconfigure.metrics.DataRepositoryMetricsAutoConfiguration",
            "org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration",
            "org.springframework.boot.restclient.autoconfigure.RestClientObservationAutoConfiguration",
            "org.springframework.boot.http.client.autoconfigure.metrics.HttpClientMetricsAutoConfiguration",
            "org.springframework.cloud.loadbalancer.config.BlockingLoadBalancerClientAutoConfiguration",
            "org.springframework.cloud.client.loadbalancer.LoadBalancerAutoConfiguration",
            "org.springframework.cloud.client.loadbalancer.reactive.ReactorLoadBalancerClientAutoConfiguration",
            "org.springframework.cloud.client.loadbalancer.reactive.LoadBalancerBeanPostProcessorAutoConfiguration",
            "org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration",
            "org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.task.TaskExecutorMetricsAutoConfiguration",
            "org.springframework.boot.micrometer.observation.autoconfigure.ScheduledTasksObservationAutoConfiguration",
            "org.springframework.cloud.configuration.CompatibilityVerifierAutoConfiguration",
            "org.springframework.cloud.gateway.config.GatewayClassPathWarningAutoConfiguration",
            "org.springframework.boot.webflux.autoconfigure.ReactiveMultipartAutoConfiguration",
            "org.springframework.cloud.autoconfigure.RefreshAutoConfiguration",
            "org.springframework.cloud.autoconfigure.RefreshEndpointAutoConfiguration",
            "org.springframework.cloud.autoconfigure.ConfigurationPropertiesRebinderAutoConfiguration",
            "org.springframework.cloud.autoconfigure.LifecycleMvcEndpointAutoConfiguration"
        })
@ConfigurationPropertiesScan
public class WsgateApplication {

    public static void main(String[] args) {
        ExitOnTerm.install(SpringApplication.run(WsgateApplication.class, args));
    }
}
