package io.wsgate.reload;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.config.RouteSettingsParser;
import io.wsgate.config.WsgateProperties;
import io.wsgate.session.SessionRegistry;
import jakarta.validation.Validator;
import java.nio.file.Path;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.filter.factory.GatewayFilterFactory;
import org.springframework.cloud.gateway.handler.predicate.RoutePredicateFactory;
import org.springframework.cloud.gateway.support.ConfigurationService;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import reactor.core.scheduler.Schedulers;

/** Hot route reload from the external route file ({@code wsgate.reload.*}). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
@ConditionalOnProperty(name = "wsgate.reload.enabled", matchIfMissing = true)
class ReloadConfiguration {

    /** Declared as its class: Spring Cloud Gateway's own locator and repository back off on its two types. */
    @Bean
    RouteFileRepository routeFileRepository(GatewayProperties gatewayProperties) {
        return new RouteFileRepository(gatewayProperties);
    }

    @Bean
    RouteFileWatcher routeFileWatcher(
            WsgateProperties properties,
            GatewayProperties gatewayProperties,
            ConfigurableEnvironment environment,
            Validator validator,
            ObjectProvider<RoutePredicateFactory> predicates,
            ObjectProvider<GatewayFilterFactory> filters,
            ConfigurationService configurationService,
            ApplicationEventPublisher publisher,
            MeterRegistry meterRegistry,
            RouteSettingsParser routeSettingsParser,
            RouteFileRepository repository,
            SessionRegistry sessions) {
        WsgateProperties.Reload reload = properties.getReload();
        RouteDryRun dryRun = new RouteDryRun(
                predicates.orderedStream().toList(),
                filters.orderedStream().toList(),
                gatewayProperties,
                configurationService,
                routeSettingsParser);
        return new RouteFileWatcher(
                Path.of(reload.getPath()),
                reload.getInterval(),
                reload.getQuietPeriod(),
                new RouteFile(environment, validator),
                dryRun,
                repository,
                publisher,
                new OpenSessionsOnReload(
                        sessions, routeSettingsParser, reload.getDrainWindow(), Schedulers.parallel(), meterRegistry),
                meterRegistry);
    }
}
