package io.wsgate.session;

import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;

/** The relay of proxied sessions and the register of open ones. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
class SessionConfiguration {

    @Bean
    SessionRegistry sessionRegistry() {
        return new SessionRegistry();
    }

    /**
     * One timer wheel for every session's keepalive, pong, idle, age and token timers ({@link SessionTimers}): one
     * thread and one entry per session instead of a scheduled task per timer.
     */
    @Bean(destroyMethod = "stop")
    HashedWheelTimer sessionTimerWheel() {
        HashedWheelTimer wheel = new HashedWheelTimer(
                new DefaultThreadFactory("wsgate-session-timers", true),
                SessionTimers.TICK.toNanos(),
                TimeUnit.NANOSECONDS);
        wheel.start();
        return wheel;
    }

    @Bean
    WebSocketRelay webSocketRelay(SessionRegistry sessions, HashedWheelTimer sessionTimerWheel) {
        return new WebSocketRelay(sessions, Schedulers.parallel(), sessionTimerWheel);
    }
}
