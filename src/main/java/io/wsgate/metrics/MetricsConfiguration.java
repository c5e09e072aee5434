package io.wsgate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** wsgate's WebSocket meters, and Reactor Netty's server connection meters, which Boot leaves off. */
@Configuration(proxyBeanMethods = false)
class MetricsConfiguration {

    @Bean
    WebSocketMetrics webSocketMetrics(MeterRegistry meterRegistry, ObjectProvider<ActiveSessions> activeSessions) {
        // Echo-only mode proxies nothing: no register of sessions, every route's gauge reads 0.
        return new WebSocketMetrics(meterRegistry, activeSessions.getIfAvailable(() -> routeId -> 0));
    }

    /**
     * {@code reactor.netty.http.server.connections.active/total} and the server's data meters. Every URI maps
     * to one tag value: a raw URI tag would grow without bound.
     */
    @Bean
    NettyServerCustomizer nettyServerMetrics() {
        return httpServer -> httpServer.metrics(true, uri -> "all");
    }
}
