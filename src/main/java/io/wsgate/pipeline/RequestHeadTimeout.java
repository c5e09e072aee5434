package io.wsgate.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.session.SessionLog;
import io.wsgate.vocabulary.RejectionReason;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the time a client may take to send a request head, against slowloris: a connection that has not sent a
 * complete head within the timeout from connect gets {@code 408 Request Timeout} and is closed; a keep-alive
 * connection whose next head has not arrived within the timeout after the previous response is closed. Reactor Netty's own {@code idleTimeout} and {@code readTimeout}
 * restart with every byte, so a client trickling one byte at a time would never meet them. Also counts the
 * requests Reactor Netty refuses before any route sees them (head too large, URI too long, malformed).
 * Leaves the pipeline once the connection is upgraded to WebSocket.
 *
 * <p>Also keeps a keep-alive connection reading: Reactor Netty 1.3.6 reads on demand and, when a request that arrived
 * before the previous one had ended is answered at once, drains its queue without asking for the next read
 * (reactor/reactor-netty#4361, fixed after the versions served to us). The client's next request was then never
 * read nor answered, and nothing closed the connection: a Prometheus scrape or a probe on a reused connection hung.
 * Once every request read so far has its complete answer, this handler asks for the next read itself; an extra
 * read with nothing queued is what Reactor Netty does anyway, so a pipelining client gets no more read ahead than
 * before. To remove with a Reactor Netty that has the fix ({@code pipeline/HttpKeepAliveIntegrationTests} shows it).
 */
final class RequestHeadTimeout extends ChannelDuplexHandler {

    static final String NAME = "wsgate.requestHeadTimeout";

    private static final Logger logger = LoggerFactory.getLogger(SessionLog.LOGGER_NAME);

    private final long timeoutMillis;

    /** Null on the management server, whose refused requests are no handshakes. */
    private final WebSocketMetrics metrics;

    private ScheduledFuture<?> timer;

    private boolean served;

    /** Requests read whose answer is not complete yet (pipelined ones included). */
    private int unanswered;

    RequestHeadTimeout(long timeoutMillis, WebSocketMetrics metrics) {
        this.timeoutMillis = timeoutMillis;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            disarm();
            this.served = true;
            this.unanswered++;
            // A head cut short by the connection's end (ours after a 408, or the client's going away) gets no answer:
            // it is no refused request.
            if (request.decoderResult().isFailure()
                    && !(request.decoderResult().cause() instanceof PrematureChannelClosureException)) {
                // Reactor Netty answers it; counted here because no route will see it.
                int status = status(request.decoderResult().cause());
                logger.debug(
                        "client={} refused by the HTTP server with {}: {}",
                        ctx.channel().remoteAddress(),
                        status,
                        request.decoderResult().cause().toString());
                if (this.metrics != null) {
                    this.metrics.handshakeRejectedBeforeRouting(RejectionReason.BAD_REQUEST, status);
                }
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The status Reactor Netty answers a request that could not be decoded with. */
    private static int status(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.code();
        }
        if (cause instanceof TooLongHttpLineException || cause instanceof TooLongFrameException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG.code();
        }
        return HttpResponseStatus.BAD_REQUEST.code();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response
                && response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            disarm();
            ctx.pipeline().remove(this);
        } else if (msg instanceof LastHttpContent) {
            // The response is complete: the next request head on this keep-alive connection has its own bound, and
            // with nothing left to answer the connection reads again (see the class comment).
            this.unanswered = Math.max(0, this.unanswered - 1);
            promise = promise.unvoid();
            promise.addListener(future -> {
                arm(ctx);
                if (this.unanswered == 0 && ctx.channel().isActive() && !ctx.isRemoved()) {
                    ctx.read();
                }
            });
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    private void arm(ChannelHandlerContext ctx) {
        if (this.timer == null && ctx.channel().isActive() && !ctx.isRemoved()) {
            this.timer = ctx.executor().schedule(() -> timedOut(ctx), this.timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void disarm() {
        if (this.timer != null) {
            this.timer.cancel(false);
            this.timer = null;
        }
    }

    private void timedOut(ChannelHandlerContext ctx) {
        this.timer = null;
        if (this.served) {
            // An idle keep-alive connection: closed quietly, as clients expect (an unasked-for 408 could race a
            // request the client is sending right now).
            logger.debug(
                    "client={} idle for {}ms after a response: closed",
                    ctx.channel().remoteAddress(),
                    this.timeoutMillis);
            ctx.close();
            return;
        }
        logger.debug(
                "client={} sent no complete request head within {}ms: 408",
                ctx.channel().remoteAddress(),
                this.timeoutMillis);
        if (this.metrics != null) {
            this.metrics.handshakeRejectedBeforeRouting(
                    RejectionReason.HEADER_TIMEOUT, HttpResponseStatus.REQUEST_TIMEOUT.code());
        }
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
