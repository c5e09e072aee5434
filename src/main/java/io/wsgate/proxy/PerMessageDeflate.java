package io.wsgate.proxy;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketClientExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateClientExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClientRequest;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * permessage-deflate (RFC 7692) per route, negotiated on each leg on its own. Spring Cloud Gateway builds its
 * WebSocket client and upgrade strategy without compression and its header filters drop the client's
 * {@code Sec-WebSocket-Extensions}, so the stock gateway never compresses. For routes with compression the client leg
 * accepts it when the client offers it, the backend leg offers it and the backend decides. Messages are inflated
 * between the legs, so either leg may compress without the other.
 *
 * <p>Why not Reactor Netty's {@code compress(true)}: it builds the deflate decoders with no allocation limit, so one
 * small frame inflates completely however large it gets (510 KB of zeros become 512 MiB before any size check), and
 * it also negotiates the old {@code deflate-frame} extension. Here each leg gets Netty's extension handler with only
 * permessage-deflate and a limit of the route's message size plus one byte per frame: a frame past it fails
 * the decoder, and the frame check ({@link io.wsgate.pipeline.FrameCheck}) answers with 1009 and drop what follows before it is inflated.
 */
final class PerMessageDeflate {

    private static final Logger logger = LoggerFactory.getLogger(PerMessageDeflate.class);

    /** Reactor context key: the backend leg's largest message, for the handshake's inflation limit. */
    private static final String BACKEND_LIMIT = PerMessageDeflate.class.getName() + ".backendLimit";

    /** Netty's message when a frame inflates past the decoder's limit (ZlibDecoder.prepareDecompressBuffer). */
    /** Reactor Netty's level and windows for permessage-deflate. */
    private static final int LEVEL = 6;

    private static final int WINDOW = PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE;

    private final BackendConnector connector;

    private final RequestUpgradeStrategy upgradeStrategy;

    private PerMessageDeflate(BackendConnector connector, RequestUpgradeStrategy upgradeStrategy) {
        this.connector = connector;
        this.upgradeStrategy = upgradeStrategy;
    }

    /**
     * Compressing twins of the gateway's {@code client} and {@code strategy}; {@code maxMessageSize}: the backend
     * leg's inflation limit where the connect does not name one ({@link #backendLimit}).
     */
    static PerMessageDeflate of(
            WebSocketClient client, RequestUpgradeStrategy strategy, Duration handshakeTimeout, int maxMessageSize) {
        return new PerMessageDeflate(
                new BackendConnector(compressing(client, maxMessageSize), handshakeTimeout), strategy);
    }

    /** Opens backend legs offering permessage-deflate; the limit comes from {@link #backendLimit}. */
    BackendConnector connector() {
        return this.connector;
    }

    /** For a connect of {@link #connector()}: the backend's frames inflate to at most {@code maxMessageSize}. */
    static Context backendLimit(int maxMessageSize) {
        return Context.of(BACKEND_LIMIT, maxMessageSize);
    }

    /** The {@link #backendLimit} in {@code context}, alone (an empty context when it has none). */
    static Context backendLimitOf(ContextView context) {
        Integer limit = context.getOrDefault(BACKEND_LIMIT, null);
        return limit != null ? backendLimit(limit) : Context.empty();
    }

    /**
     * Upgrades clients accepting permessage-deflate when they offer it; a client's frame inflates to at most
     * {@code maxMessageSize} bytes (plus one, which the frame check then refuses).
     */
    RequestUpgradeStrategy upgradeStrategy(int maxMessageSize) {
        if (!(this.upgradeStrategy instanceof ReactorNettyRequestUpgradeStrategy)) {
            logger.warn("Upgrade strategy {} is not Reactor Netty's: client legs never compress", this.upgradeStrategy);
            return this.upgradeStrategy;
        }
        return (exchange, handler, subProtocol, handshakeInfo) -> Mono.defer(() -> {
            acceptOffer(exchange, maxMessageSize);
            return this.upgradeStrategy.upgrade(exchange, handler, subProtocol, handshakeInfo);
        });
    }

    /**
     * What Reactor Netty's {@code WebsocketServerOperations} does for {@code compress(true)}, with our handshaker:
     * hand the client's offer to an extension handler placed after the HTTP codec, which answers it in the 101 and
     * then adds the deflate encoder and decoder. Runs on the client's event loop, before the upgrade writes the 101.
     */
    private static void acceptOffer(ServerWebExchange exchange, int maxMessageSize) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (!(nativeRequest instanceof Connection connection)) {
            return;
        }
        ChannelPipeline pipeline = connection.channel().pipeline();
        if (pipeline.get(NettyPipeline.HttpCodec) == null) {
            return;
        }
        WebSocketServerExtensionHandler extensions =
                new WebSocketServerExtensionHandler(new PerMessageDeflateServerExtensionHandshaker(
                        LEVEL,
                        ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(),
                        WINDOW,
                        false,
                        false,
                        maxAllocation(maxMessageSize)));
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        exchange.getRequest().getHeaders().forEach(headers::add);
        try {
            // Records the offer; the request then goes on to the end of the pipeline, as in Reactor Netty.
            extensions.channelRead(
                    pipeline.context(NettyPipeline.ReactiveBridge),
                    new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", headers));
        } catch (Exception ex) {
            logger.warn("permessage-deflate offer not readable; the client leg does not compress: {}", ex.toString());
            return;
        }
        pipeline.addAfter(NettyPipeline.HttpCodec, NettyPipeline.WsCompressionHandler, extensions);
    }

    private static WebSocketClient compressing(WebSocketClient client, int maxMessageSize) {
        if (!(client instanceof ReactorNettyWebSocketClient reactorClient)) {
            logger.warn("WebSocket client {} is not Reactor Netty's: backend legs never compress", client);
            return client;
        }
        WebsocketClientSpec spec = reactorClient.getWebsocketClientSpec();
        return new ReactorNettyWebSocketClient(
                reactorClient
                        .getHttpClient()
                        .doOnRequest((request, connection) -> offer(request, connection, maxMessageSize)),
                () -> BackendSubprotocol.specLike(spec).compress(false));
    }

    /**
     * What Reactor Netty's {@code WebsocketClientOperations} does for {@code compress(true)}, with our handshaker:
     * an extension handler first in the pipeline offers permessage-deflate in the handshake request and adds the
     * deflate encoder and decoder when the backend accepts. Runs just before the request is written.
     */
    private static void offer(HttpClientRequest request, Connection connection, int fallbackLimit) {
        int maxMessageSize = request.currentContextView().getOrDefault(BACKEND_LIMIT, fallbackLimit);
        request.requestHeaders().remove(HttpHeaderNames.ACCEPT_ENCODING);
        connection.removeHandler(NettyPipeline.HttpDecompressor);
        connection.addHandlerFirst(
                NettyPipeline.WsCompressionHandler,
                new WebSocketClientExtensionHandler(new PerMessageDeflateClientExtensionHandshaker(
                        LEVEL,
                        ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(),
                        WINDOW,
                        false,
                        false,
                        maxAllocation(maxMessageSize))));
    }

    /**
     * Netty's per-frame limit for a message limit: one byte more, so that a frame of exactly the limit passes the
     * decoder (Netty fails a frame when its buffer is full with input left) and one byte over reaches the frame
     * check's own size check.
     */
    private static int maxAllocation(int maxMessageSize) {
        return maxMessageSize < Integer.MAX_VALUE ? maxMessageSize + 1 : Integer.MAX_VALUE;
    }
}
