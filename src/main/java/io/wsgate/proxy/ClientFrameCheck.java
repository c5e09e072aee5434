package io.wsgate.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wsgate.session.CloseCodes;
import java.util.function.Consumer;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * Makes the client leg fail invalid frames the way RFC 6455 says, with a close frame that names the error:
 * reserved bits without a negotiated extension, and every other framing error of Netty's decoder, get 1002;
 * invalid UTF-8 in a text message or a close reason 1007; a message larger than the limit 1009, also when it
 * comes in fragments, or a compressed frame that inflates past it (see {@link PerMessageDeflate}), 1009; a close
 * frame with a code no endpoint may send 1002; more fragments in one message, or more pings and pongs per second,
 * than {@link FrameCaps} allows 1008. Each failure is reported to the session, which closes the backend leg and
 * counts the close as the gateway's; from then on the client's frames are dropped before they are inflated.
 *
 * <p>Why this exists: Reactor Netty builds the server's WebSocket decoder with extensions always allowed
 * (reserved bits pass as data), no UTF-8 validation, and Netty's decoder drops the connection without any
 * close frame when a close frame itself is invalid. The decoder is replaced right after the upgrade, before
 * the client can have sent a frame (the handler runs when the 101 is written), with one that reports every
 * violation here instead of closing on its own.
 */
final class ClientFrameCheck extends ChannelInboundHandlerAdapter {

    private static final String DECODER = "wsgate.wsdecoder";

    private static final String UTF8 = "wsgate.utf8";

    private static final String CHECK = "wsgate.framecheck";

    private static final String GATE = "wsgate.framegate";

    private final int maxMessageSize;

    private final FrameCaps caps;

    private final FrameGate gate;

    private final Consumer<CloseStatus> onFailure;

    private long messageBytes = -1;

    private boolean failed;

    private ClientFrameCheck(int maxMessageSize, FrameCaps caps, FrameGate gate, Consumer<CloseStatus> onFailure) {
        this.maxMessageSize = maxMessageSize;
        this.caps = caps;
        this.gate = gate;
        this.onFailure = onFailure;
    }

    /**
     * Installs the check on an upgraded client connection; {@code onFailure} gets the status the client was
     * closed with. Must run on the channel's event loop, before any frame was read (the upgrade's handler).
     */
    static void install(Channel channel, int maxMessageSize, FrameCaps caps, Consumer<CloseStatus> onFailure) {
        ChannelPipeline pipeline = channel.pipeline();
        FrameGate.Decoders decoders = FrameGate.Decoders.of(pipeline);
        if (decoders == null) {
            return;
        }
        String decoderName = decoders.frames();
        String last = decoders.last();
        // A negotiated extension (permessage-deflate) owns RSV1; validate what it decoded.
        boolean extensions = decoders.extensions();
        WebSocketDecoderConfig config = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxMessageSize)
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(extensions)
                // Report violations to this check, which answers with a close frame even for a bad close frame.
                .closeOnProtocolViolation(false)
                .build();
        pipeline.replace(decoderName, DECODER, new WebSocket13FrameDecoder(config));
        String after = decoderName.equals(last) ? DECODER : last;
        pipeline.addAfter(after, UTF8, new Utf8FrameCheck());
        // Right after the decoder: a failed client's frames are dropped before they are inflated.
        FrameGate gate = FrameGate.addAfter(pipeline, DECODER, GATE);
        pipeline.addAfter(UTF8, CHECK, new ClientFrameCheck(maxMessageSize, caps, gate, onFailure));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (this.failed) {
            // After a failure only the client's answering close frame goes on: it lets the session end at once.
            if (msg instanceof CloseWebSocketFrame) {
                ctx.fireChannelRead(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (msg instanceof WebSocketFrame frame) {
            CorruptedWebSocketFrameException violation = violation(frame);
            if (violation != null) {
                frame.release();
                fail(ctx, violation.closeStatus(), violation.getMessage());
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private CorruptedWebSocketFrameException violation(WebSocketFrame frame) {
        if (frame instanceof CloseWebSocketFrame close) {
            int code = close.statusCode();
            return code == -1 || CloseCodes.isSendable(code)
                    ? null
                    : new CorruptedWebSocketFrameException(
                            WebSocketCloseStatus.PROTOCOL_ERROR, "invalid close code " + code);
        }
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
        if (this.messageBytes > this.maxMessageSize) {
            return new CorruptedWebSocketFrameException(
                    WebSocketCloseStatus.MESSAGE_TOO_BIG, "message larger than " + this.maxMessageSize + " bytes");
        }
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupted) {
            // From the decoder or the UTF-8 validator: a framing error, invalid UTF-8 or a frame over the limit.
            fail(ctx, corrupted.closeStatus(), corrupted.getMessage());
            return;
        }
        CorruptedWebSocketFrameException inflation = PerMessageDeflate.inflationFailure(cause);
        if (inflation != null) {
            fail(ctx, inflation.closeStatus(), inflation.getMessage());
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private void fail(ChannelHandlerContext ctx, WebSocketCloseStatus status, String message) {
        if (this.failed) {
            return;
        }
        this.failed = true;
        this.gate.shut();
        String reason = CloseCodes.fit(message != null ? message : status.reasonText());
        // The session's lifecycle writes the close frame and ends the connection.
        this.onFailure.accept(new CloseStatus(status.code(), reason));
    }
}
