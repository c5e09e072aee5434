package io.wsgate.drain;

import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.session.SessionRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;

/** The graceful drain of open sessions on shutdown, and the 503 for handshakes that come meanwhile. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
class DrainConfiguration {

    @Bean
    SessionDrain sessionDrain(SessionRegistry sessions, ApplicationEventPublisher events, WsgateProperties properties) {
        return new SessionDrain(sessions, events, properties.getShutdown().getDrainWindow(), Schedulers.parallel());
    }

    @Bean
    DrainingRejectionFilter drainingRejectionFilter(
            SessionDrain sessionDrain, WebSocketMetrics webSocketMetrics, WsgateProperties properties) {
        return new DrainingRejectionFilter(
                sessionDrain, webSocketMetrics, properties.getShutdown().getRetryAfter());
    }
}
