package io.wsgate.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wsgate.session.CloseCodes;
import java.util.function.Consumer;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * The backend leg's share of {@link ClientFrameCheck}: what a backend can make the gateway hold. A compressed frame
 * that inflates past the limit, or a message that grows past it fragment by fragment, gets 1009 as soon as the
 * limit is passed; more fragments in one message, or more pings and pongs per second, than {@link FrameCaps}
 * allows get 1008. The violation is reported once, as the status the backend is to be closed with; from then on
 * the backend's frames are dropped before they are inflated. Unlike the client check it leaves the close to the
 * caller and lets everything else through as Reactor Netty has it.
 */
final class BackendFrameCheck extends ChannelInboundHandlerAdapter {

    private static final String GATE = "wsgate.backend.framegate";

    private static final String CHECK = "wsgate.backend.framecheck";

    private final long maxMessageSize;

    private final FrameCaps caps;

    private final FrameGate gate;

    private final Consumer<CloseStatus> onViolation;

    private long messageBytes;

    private boolean failed;

    private BackendFrameCheck(long maxMessageSize, FrameCaps caps, FrameGate gate, Consumer<CloseStatus> onViolation) {
        this.maxMessageSize = maxMessageSize;
        this.caps = caps;
        this.gate = gate;
        this.onViolation = onViolation;
    }

    /**
     * Installs the check on an open backend connection, on its event loop. {@code onViolation} runs there, once,
     * with the status to close the backend with (1009 or 1008 and why); it must close the session.
     */
    static void install(Channel channel, long maxMessageSize, FrameCaps caps, Consumer<CloseStatus> onViolation) {
        channel.eventLoop().execute(() -> {
            ChannelPipeline pipeline = channel.pipeline();
            FrameGate.Decoders decoders = FrameGate.Decoders.of(pipeline);
            if (decoders == null || !channel.isActive()) {
                return;
            }
            FrameGate gate = FrameGate.addAfter(pipeline, decoders.frames(), GATE);
            String after = decoders.frames().equals(decoders.last()) ? GATE : decoders.last();
            pipeline.addAfter(after, CHECK, new BackendFrameCheck(maxMessageSize, caps, gate, onViolation));
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (this.failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof WebSocketFrame frame) {
            CorruptedWebSocketFrameException violation = violation(frame);
            if (violation != null) {
                frame.release();
                fail(violation);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private CorruptedWebSocketFrameException violation(WebSocketFrame frame) {
        String capped = this.caps.exceeded(frame);
        if (capped != null) {
            return new CorruptedWebSocketFrameException(WebSocketCloseStatus.POLICY_VIOLATION, capped);
        }
        if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
            this.messageBytes = 0;
        } else if (!(frame instanceof ContinuationWebSocketFrame)) {
            return null;
        }
        this.messageBytes += frame.content().readableBytes();
        return this.messageBytes > this.maxMessageSize
                ? new CorruptedWebSocketFrameException(
                        WebSocketCloseStatus.MESSAGE_TOO_BIG, "message larger than " + this.maxMessageSize + " bytes")
                : null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        CorruptedWebSocketFrameException inflation = PerMessageDeflate.inflationFailure(cause);
        if (inflation != null) {
            fail(inflation);
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private void fail(CorruptedWebSocketFrameException violation) {
        if (this.failed) {
            return;
        }
        this.failed = true;
        this.gate.shut();
        this.onViolation.accept(
                new CloseStatus(violation.closeStatus().code(), CloseCodes.fit(violation.getMessage())));
    }
}
