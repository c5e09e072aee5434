package io.wsgate.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClientRequest;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.util.context.Context;

/**
 * The subprotocol a backend selected in one backend handshake, where selecting none is allowed.
 *
 * <p>RFC 6455 §4.2.2 lets a server answer {@code 101} without {@code Sec-WebSocket-Protocol} whatever the client
 * offered; the client then decides whether to go on. Netty's client handshaker fails that answer instead ("Invalid
 * subprotocol. Actual: null"): it accepts nothing received only when nothing was offered. So on every backend
 * handshake that offers subprotocols, a handler in the backend connection's pipeline, after the HTTP codec and
 * before Reactor Netty completes the handshake, fills an absent {@code Sec-WebSocket-Protocol} of the {@code 101}
 * with the first offered protocol and records here that the backend selected none. Netty completes the handshake,
 * {@link #selected} answers {@code null}, and the client is upgraded without a subprotocol: the gateway relays the
 * backend's decision and the client judges it. A subprotocol the client did not offer is still Netty's error, which
 * {@link BackendHandshakeException} turns into a {@code 502}. The filled-in header never reaches the client: the
 * relay drops every {@code Sec-WebSocket-*} header of the backend's answer.
 *
 * <p>The handler is added for each request ({@code doOnRequest}, where the handshake's Reactor context holds this
 * record), so a pooled connection that one of the gateway's HTTP routes opened gets it too; it removes itself after
 * the response head, before any frame.
 */
final class BackendSubprotocol {

    private static final Logger logger = LoggerFactory.getLogger(BackendSubprotocol.class);

    private static final String HANDLER_NAME = "wsgate.backendSubprotocol";

    private final List<String> offered;

    private volatile boolean noneSelected;

    BackendSubprotocol(List<String> offered) {
        this.offered = List.copyOf(offered);
    }

    /** The subprotocol the backend selected, {@code null} for none. */
    String selected(HandshakeInfo backendHandshake) {
        return this.noneSelected ? null : backendHandshake.getSubProtocol();
    }

    /** Puts this record where the pipeline handler of the handshake subscribed with {@code context} finds it. */
    Context addTo(Context context) {
        return context.put(BackendSubprotocol.class, this);
    }

    /**
     * A twin of the gateway's {@code client} (same HTTP client, TLS, frame size and ping handling) whose handshakes
     * accept a backend that selects no subprotocol, for handshakes subscribed with {@link #addTo}.
     */
    static WebSocketClient acceptingNone(WebSocketClient client) {
        if (!(client instanceof ReactorNettyWebSocketClient reactorClient)) {
            logger.warn(
                    "WebSocket client {} is not Reactor Netty's: a backend that selects no subprotocol gets a 502",
                    client);
            return client;
        }
        WebsocketClientSpec spec = reactorClient.getWebsocketClientSpec();
        return new ReactorNettyWebSocketClient(
                reactorClient.getHttpClient().doOnRequest(BackendSubprotocol::install), () -> specLike(spec));
    }

    /** A spec builder with {@code spec}'s frame size, ping handling and compression. */
    static WebsocketClientSpec.Builder specLike(WebsocketClientSpec spec) {
        return WebsocketClientSpec.builder()
                .maxFramePayloadLength(spec.maxFramePayloadLength())
                .handlePing(spec.handlePing())
                .compress(spec.compress());
    }

    private static void install(HttpClientRequest request, Connection connection) {
        request.currentContextView()
                .<BackendSubprotocol>getOrEmpty(BackendSubprotocol.class)
                .filter(subprotocol -> !subprotocol.offered.isEmpty())
                .ifPresent(subprotocol -> connection.addHandlerLast(HANDLER_NAME, new NoneSelected(subprotocol)));
    }

    /** Fills in the first offered subprotocol when the backend's {@code 101} selects none, and says so. */
    private static final class NoneSelected extends ChannelInboundHandlerAdapter {

        private final BackendSubprotocol subprotocol;

        NoneSelected(BackendSubprotocol subprotocol) {
            this.subprotocol = subprotocol;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse response) {
                if (response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()
                        && !response.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
                    this.subprotocol.noneSelected = true;
                    response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, this.subprotocol.offered.get(0));
                }
                // Only the response head matters; frames need not pass through here.
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }
}
