package io.wsgate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationPredicate;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/** wsgate's WebSocket meters, and Reactor Netty's server connection meters, which Boot leaves off. */
@Configuration(proxyBeanMethods = false)
class MetricsConfiguration {

    @Bean
    WebSocketMetrics webSocketMetrics(MeterRegistry meterRegistry, ObjectProvider<ActiveSessions> activeSessions) {
        // Echo-only mode proxies nothing: no register of sessions, every route's gauge reads 0.
        return new WebSocketMetrics(meterRegistry, activeSessions.getIfAvailable(() -> routeId -> 0));
    }

    /**
     * No {@code http.server.requests} observation of a WebSocket upgrade: WebFlux would keep it open for the whole
     * session (the exchange ends with the session) and record the session's length as a 101 "request" with
     * {@code uri="UNKNOWN"}, which {@code wsgate_sessions_duration_seconds} already measures per route. Other requests
     * (the page, the echo's plain HTTP, the management port) keep theirs.
     */
    @Bean
    ObservationPredicate noServerRequestObservationOfWebSocketUpgrades() {
        return (name, context) -> !(context instanceof ServerRequestObservationContext server
                && "websocket".equalsIgnoreCase(server.getCarrier().getHeaders().getUpgrade()));
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
