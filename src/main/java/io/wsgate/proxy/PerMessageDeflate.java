package io.wsgate.proxy;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * permessage-deflate (RFC 7692) per route, negotiated on each leg on its own. Spring Cloud Gateway builds its
 * WebSocket client and upgrade strategy without compression and its header filters drop the client's
 * {@code Sec-WebSocket-Extensions}, so the stock gateway never compresses. For routes with compression, wsgate uses
 * twins of the gateway's client and strategy (same frame size, ping handling and HTTP client, TLS included) with
 * compression on: the client leg accepts it when the client offers it, the backend leg offers it and the backend
 * decides. Messages are inflated between the legs, so either leg may compress without the other.
 */
final class PerMessageDeflate {

    private static final Logger logger = LoggerFactory.getLogger(PerMessageDeflate.class);

    /** Route metadata key: {@code true} or {@code false} overrides {@code wsgate.proxy.compression}. */
    static final String METADATA = "compression";

    private final boolean enabledByDefault;

    private final BackendConnector connector;

    private final RequestUpgradeStrategy upgradeStrategy;

    private PerMessageDeflate(
            boolean enabledByDefault, BackendConnector connector, RequestUpgradeStrategy upgradeStrategy) {
        this.enabledByDefault = enabledByDefault;
        this.connector = connector;
        this.upgradeStrategy = upgradeStrategy;
    }

    /** Compressing twins of the gateway's {@code client} and {@code strategy}. */
    static PerMessageDeflate of(
            boolean enabledByDefault,
            WebSocketClient client,
            RequestUpgradeStrategy strategy,
            Duration handshakeTimeout) {
        return new PerMessageDeflate(
                enabledByDefault, new BackendConnector(compressing(client), handshakeTimeout), compressing(strategy));
    }

    /** Whether the route compresses: its {@code compression} metadata, else the global default. */
    boolean enabled(Route route) {
        Object value = route != null ? route.getMetadata().get(METADATA) : null;
        return value != null ? Boolean.parseBoolean(value.toString()) : this.enabledByDefault;
    }

    /** Opens backend legs offering permessage-deflate. */
    BackendConnector connector() {
        return this.connector;
    }

    /** Upgrades clients accepting permessage-deflate when they offer it. */
    RequestUpgradeStrategy upgradeStrategy() {
        return this.upgradeStrategy;
    }

    private static WebSocketClient compressing(WebSocketClient client) {
        if (!(client instanceof ReactorNettyWebSocketClient reactorClient)) {
            logger.warn("WebSocket client {} is not Reactor Netty's: backend legs never compress", client);
            return client;
        }
        WebsocketClientSpec spec = reactorClient.getWebsocketClientSpec();
        return new ReactorNettyWebSocketClient(
                reactorClient.getHttpClient(),
                () -> BackendSubprotocol.specLike(spec).compress(true));
    }

    private static RequestUpgradeStrategy compressing(RequestUpgradeStrategy strategy) {
        if (!(strategy instanceof ReactorNettyRequestUpgradeStrategy reactorStrategy)) {
            logger.warn("Upgrade strategy {} is not Reactor Netty's: client legs never compress", strategy);
            return strategy;
        }
        WebsocketServerSpec spec = reactorStrategy.getWebsocketServerSpec();
        return new ReactorNettyRequestUpgradeStrategy(() -> WebsocketServerSpec.builder()
                .maxFramePayloadLength(spec.maxFramePayloadLength())
                .handlePing(spec.handlePing())
                .compress(true));
    }
}
