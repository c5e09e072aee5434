package io.wsgate.echo;

import io.wsgate.config.WsgateProperties;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * Serves the bundled echo backend on {@code wsgate.echo.path}, and the page to try it at {@code GET /}, when
 * {@code wsgate.echo.enabled}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "wsgate.echo.enabled", matchIfMissing = true)
class EchoConfiguration implements WebFluxConfigurer {

    private final WsgateProperties properties;

    EchoConfiguration(WsgateProperties properties) {
        this.properties = properties;
    }

    @Bean
    EchoWebSocketHandler echoWebSocketHandler() {
        return new EchoWebSocketHandler();
    }

    @Bean
    HandlerMapping echoHandlerMapping(EchoWebSocketHandler echoWebSocketHandler) {
        // Order -1: ahead of the gateway's route mapping (order 1), so the echo path is never proxied.
        return new SimpleUrlHandlerMapping(Map.of(this.properties.getEcho().getPath(), echoWebSocketHandler), -1);
    }

    @Bean
    HandlerMapping tryItPageMapping() {
        RouterFunctionMapping mapping =
                new RouterFunctionMapping(TryItPage.load().route());
        // After the gateway's routes (order 1) and controllers: a route of the user's for / keeps it. In echo-only
        // mode the echo's own mapping (order -1, on every path) answers / first, so the page is the gateway's.
        mapping.setOrder(Ordered.LOWEST_PRECEDENCE - 10);
        return mapping;
    }

    /**
     * The WebSocket service of local handlers. The gateway's own upgrade strategy serves proxied routes only,
     * so the echo's message limit is set here; a second {@code RequestUpgradeStrategy} bean would clash with
     * the gateway's.
     */
    @Override
    public WebSocketService getWebSocketService() {
        int maxMessageSize =
                Math.toIntExact(this.properties.getEcho().getMaxMessageSize().toBytes());
        return new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(maxMessageSize)));
    }
}
