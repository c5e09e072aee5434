package io.wsgate.admission;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.wsgate.proxy.FilterOrder;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClient;

/**
 * Keeps a client's missing {@code Origin} missing towards the backend. Netty's WebSocket client handshaker adds an
 * {@code Origin} naming the backend itself to every handshake that has none (Reactor Netty offers no switch), so a
 * non-browser client, or anyone who omits the header, would pass the backend's own same-origin check.
 *
 * <p>Two halves, no change to the relay: as the last {@link HttpHeadersFilter} it marks a request that came
 * without {@code Origin} with a private header; as an {@link HttpClientCustomizer} of the gateway's HTTP client
 * (which both the relay and the stock routing use) it installs a channel handler that removes the marker and,
 * where it was set, the {@code Origin} that the handshaker invented, as the request is written. A client's own
 * marker header is dropped first, so only the gateway can set it.
 */
final class AbsentOriginFilter implements HttpHeadersFilter, HttpClientCustomizer, Ordered {

    /** Never leaves the gateway: set by the header filter, removed by {@link OriginRemover}. */
    static final String MARKER = "X-Wsgate-Client-Sent-No-Origin";

    private static final String HANDLER_NAME = "wsgate.absentOrigin";

    @Override
    public int getOrder() {
        return FilterOrder.BACKEND_HEADERS;
    }

    @Override
    public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
        HttpHeaders headers = new HttpHeaders();
        headers.addAll(input);
        headers.remove(MARKER);
        if (!exchange.getRequest().getHeaders().containsHeader(HttpHeaders.ORIGIN)) {
            headers.set(MARKER, "1");
        }
        return headers;
    }

    @Override
    public HttpClient customize(HttpClient client) {
        return client.doOnChannelInit((observer, channel, address) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER_NAME, OriginRemover.INSTANCE);
            }
        });
    }

    /** Sees each request before it is encoded (the handshaker writes from the pipeline's tail). */
    @ChannelHandler.Sharable
    static final class OriginRemover extends ChannelOutboundHandlerAdapter {

        static final OriginRemover INSTANCE = new OriginRemover();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpRequest request && request.headers().contains(MARKER)) {
                request.headers().remove(MARKER);
                request.headers().remove(HttpHeaderNames.ORIGIN);
            }
            super.write(ctx, msg, promise);
        }
    }
}
