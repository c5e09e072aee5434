package io.wsgate.admission;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.vocabulary.RejectionReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code 400} to a request whose {@code Host} is not one {@code host[:port]}: the gateway writes it to
 * backends in {@code X-Forwarded-Host} and {@code Forwarded: host=}, and a backend that splits those at commas or
 * quotes must not be handed a value the client shaped. A host is a DNS name or IPv4 address (letters, digits,
 * {@code - . _ ~}) or an IPv6 address in brackets; an HTTP/1.1 request needs exactly one Host. On the traffic port
 * only, before any route runs; leaves the pipeline once the connection is upgraded to WebSocket.
 */
final class HostHeaderCheck extends ChannelDuplexHandler {

    static final String NAME = "wsgate.hostHeaderCheck";

    private static final Logger logger = LoggerFactory.getLogger("wsgate.session");

    private final WebSocketMetrics metrics;

    /** A request was refused: what else arrives on the connection is dropped until it closes. */
    private boolean refused;

    HostHeaderCheck(WebSocketMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (this.refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request && request.decoderResult().isSuccess() && !hasValidHost(request)) {
            this.refused = true;
            ReferenceCountUtil.release(msg);
            logger.debug(
                    "client={} refused with 400: malformed or missing Host header",
                    ctx.channel().remoteAddress());
            this.metrics.handshakeRejectedBeforeRouting(RejectionReason.BAD_REQUEST, 400);
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.BAD_REQUEST,
                    Unpooled.copiedBuffer("Bad Request: malformed Host header", StandardCharsets.US_ASCII));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response
                && response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            ctx.pipeline().remove(this);
        }
        ctx.write(msg, promise);
    }

    private static boolean hasValidHost(HttpRequest request) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.isEmpty()) {
            return !request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        }
        return hosts.size() == 1 && isHostAndPort(hosts.get(0));
    }

    /** {@code host[:port]}: a DNS name or IPv4 address, or an IPv6 address in brackets; a port of 1-5 digits. */
    static boolean isHostAndPort(String value) {
        String host = value;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || !NetUtil.isValidIpV6Address(value.substring(1, close))) {
                return false;
            }
            host = null;
            if (close + 1 < value.length()) {
                if (value.charAt(close + 1) != ':') {
                    return false;
                }
                port = value.substring(close + 2);
            }
        } else {
            int colon = value.indexOf(':');
            if (colon >= 0) {
                host = value.substring(0, colon);
                port = value.substring(colon + 1);
            }
        }
        if (host != null && !isName(host)) {
            return false;
        }
        return port == null || isPort(port);
    }

    private static boolean isName(String host) {
        if (host.isEmpty()) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPort(String port) {
        if (port.isEmpty() || port.length() > 5) {
            return false;
        }
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(port) <= 65535;
    }
}
