package io.wsgate.proxy;

import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.session.WebSocketRelay;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;

/**
 * The WebSocket relay, built on the gateway's own WebSocket client and upgrade strategy so that the gateway's
 * {@code httpclient} settings (connect timeout, TLS, frame size, ping proxying) apply to both legs.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.cloud.gateway.server.webflux.enabled", matchIfMissing = true)
class ProxyConfiguration {

    @Bean
    NoInstanceRejectionFilter noInstanceRejectionFilter(WebSocketMetrics webSocketMetrics) {
        return new NoInstanceRejectionFilter(webSocketMetrics);
    }

    @Bean
    WebSocketRelayFilter webSocketRelayFilter(
            WebSocketClient webSocketClient,
            RequestUpgradeStrategy requestUpgradeStrategy,
            WsgateProperties properties,
            ObjectProvider<List<HttpHeadersFilter>> headersFilters,
            WebSocketMetrics webSocketMetrics,
            WebSocketRelay relay,
            HttpClientProperties httpClientProperties,
            RouteSettingsCache routeSettings) {
        Duration handshakeTimeout = properties.getProxy().getHandshakeTimeout();
        BackendConnector connector = new BackendConnector(webSocketClient, handshakeTimeout);
        int maxMessageSize = maxMessageSize(httpClientProperties);
        PerMessageDeflate deflate =
                PerMessageDeflate.of(webSocketClient, requestUpgradeStrategy, handshakeTimeout, maxMessageSize);
        int frameLogMaxPayload =
                Math.toIntExact(properties.getProxy().getFrameLogMaxPayload().toBytes());
        return new WebSocketRelayFilter(
                connector,
                requestUpgradeStrategy,
                relay,
                headersFilters,
                webSocketMetrics,
                frameLogMaxPayload,
                routeSettings,
                deflate,
                maxMessageSize,
                properties.getLimits());
    }

    /** The gateway's WebSocket message limit for both legs; unset, Reactor Netty's default (64 KiB) applies. */
    static int maxMessageSize(HttpClientProperties properties) {
        Integer configured = properties.getWebsocket().getMaxFramePayloadLength();
        return configured != null ? configured : 65536;
    }
}
