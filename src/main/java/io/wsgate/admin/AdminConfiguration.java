package io.wsgate.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.config.WsgateProperties;
import io.wsgate.session.SessionLog;
import io.wsgate.session.SessionRegistry;
import java.time.Clock;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.web.server.ConditionalOnManagementPort;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebFilter;
import reactor.core.scheduler.Schedulers;

/**
 * The sessions endpoint, only when the management server has its own port: nothing of it on the traffic port.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
@ConditionalOnManagementPort(ManagementPortType.DIFFERENT)
@ConditionalOnAvailableEndpoint(SessionsEndpoint.class)
class AdminConfiguration {

    /** The Reactor context key of the management request's client address. */
    static final String REQUESTER = AdminConfiguration.class.getName() + ".requester";

    @Bean
    SessionsEndpoint sessionsEndpoint(SessionRegistry sessions, MeterRegistry meters, WsgateProperties properties) {
        SessionAdmin admin = new SessionAdmin(sessions, meters, Schedulers.parallel(), Clock.systemUTC());
        return new SessionsEndpoint(admin, properties.getAdmin().isWriteEnabled());
    }

    /**
     * Hands the endpoint the address of whoever asked, for the log line of each write: actuator operations do not
     * see the request. The main context's web filters run on the management server too; on the traffic port the
     * path never leads to the endpoint, so the entry there is unused.
     */
    @Bean
    WebFilter sessionsEndpointRequester(@Value("${management.endpoints.web.base-path:/actuator}") String basePath) {
        String path = basePath + "/wsgate";
        return (exchange, chain) -> exchange.getRequest().getPath().value().startsWith(path)
                ? chain.filter(exchange)
                        .contextWrite(context -> context.put(
                                REQUESTER,
                                SessionLog.address(exchange.getRequest().getRemoteAddress())))
                : chain.filter(exchange);
    }
}
