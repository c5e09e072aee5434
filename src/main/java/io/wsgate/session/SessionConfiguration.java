package io.wsgate.session;

import io.wsgate.config.WsgateProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;

/** The relay of proxied sessions, the register of open ones, and their drain on shutdown. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
class SessionConfiguration {

    @Bean
    OpenSessions openSessions() {
        return new OpenSessions();
    }

    @Bean
    SessionDrain sessionDrain(
            OpenSessions openSessions, ApplicationEventPublisher events, WsgateProperties properties) {
        return new SessionDrain(openSessions, events, properties.getShutdown().getDrainWindow(), Schedulers.parallel());
    }

    @Bean
    WebSocketRelay webSocketRelay(OpenSessions openSessions) {
        return new WebSocketRelay(openSessions, Schedulers.parallel());
    }
}
