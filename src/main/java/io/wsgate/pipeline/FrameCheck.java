package io.wsgate.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.DecompressionException;
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
import io.wsgate.vocabulary.Leg;
import java.util.function.Consumer;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * Fails a peer's frames that break RFC 6455 or would cost the gateway memory, with a close status that names the
 * error, reported once to the session (which writes the close frame, closes the other leg and counts the close as
 * the gateway's). From then on the peer's frames are dropped by a {@link FrameGate} before they are inflated.
 *
 * <p>On both legs: a message larger than the limit, also when it comes in fragments or as a compressed frame that
 * inflates past it, 1009; more fragments in one message, or more pings and pongs per second, than
 * {@link FrameCaps} allows, 1008. On the client leg also: reserved bits without a negotiated extension and every
 * other framing error of Netty's decoder, 1002; invalid UTF-8 in a text message or a close reason, 1007; a close
 * frame with a code no endpoint may send, 1002.
 *
 * <p>Why the client leg needs more: Reactor Netty builds the server's WebSocket decoder with extensions always
 * allowed (reserved bits pass as data), no UTF-8 validation, and Netty's decoder drops the connection without any
 * close frame when a close frame itself is invalid. The client's decoder is replaced right after the upgrade,
 * before the client can have sent a frame (the handler runs when the 101 is written), with one that reports every
 * violation here instead of closing on its own. What a backend sends that is not a memory cost is the backend's
 * business, relayed as Reactor Netty has it.
 */
public final class FrameCheck extends ChannelInboundHandlerAdapter {

    private static final String DECODER = "wsgate.wsdecoder";

    private static final String UTF8 = "wsgate.utf8";

    /** Netty's message when a deflate decoder passes its maximum allocation. */
    private static final String INFLATION_LIMIT_REACHED = "Decompression buffer has reached maximum size";

    private final Leg leg;

    private final long maxMessageSize;

    private final FrameCaps caps;

    private final FrameGate gate;

    private final Consumer<CloseStatus> onFailure;

    private long messageBytes;

    private boolean failed;

    private FrameCheck(Leg leg, long maxMessageSize, FrameCaps caps, FrameGate gate, Consumer<CloseStatus> onFailure) {
        this.leg = leg;
        this.maxMessageSize = maxMessageSize;
        this.caps = caps;
        this.gate = gate;
        this.onFailure = onFailure;
    }

    /**
     * Installs the check on an upgraded client connection; {@code onFailure} gets the status the client is to be
     * closed with. Must run on the channel's event loop, before any frame was read (the upgrade's handler).
     */
    public static void installOnClient(
            Channel channel, int maxMessageSize, FrameCaps caps, Consumer<CloseStatus> onFailure) {
        ChannelPipeline pipeline = channel.pipeline();
        FrameGate.Decoders decoders = FrameGate.Decoders.of(pipeline);
        if (decoders == null) {
            return;
        }
        String decoderName = decoders.frames();
        String last = decoders.last();
        // A negotiated extension (permessage-deflate) owns RSV1; validate what it decoded.
        WebSocketDecoderConfig config = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxMessageSize)
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(decoders.extensions())
                // Report violations to this check, which answers with a close frame even for a bad close frame.
                .closeOnProtocolViolation(false)
                .build();
        pipeline.replace(decoderName, DECODER, new WebSocket13FrameDecoder(config));
        String after = decoderName.equals(last) ? DECODER : last;
        pipeline.addAfter(after, UTF8, new Utf8FrameCheck());
        // Right after the decoder: a failed client's frames are dropped before they are inflated.
        FrameGate gate = FrameGate.addAfter(pipeline, DECODER, "wsgate.framegate");
        pipeline.addAfter(UTF8, "wsgate.framecheck", new FrameCheck(Leg.CLIENT, maxMessageSize, caps, gate, onFailure));
    }

    /**
     * Installs the check on an open backend connection, on its event loop. {@code onFailure} runs there, once, with
     * the status to close the backend with (1009 or 1008 and why); it must close the session.
     */
    public static void installOnBackend(
            Channel channel, long maxMessageSize, FrameCaps caps, Consumer<CloseStatus> onFailure) {
        channel.eventLoop().execute(() -> {
            ChannelPipeline pipeline = channel.pipeline();
            FrameGate.Decoders decoders = FrameGate.Decoders.of(pipeline);
            if (decoders == null || !channel.isActive()) {
                return;
            }
            String gateName = "wsgate.backend.framegate";
            FrameGate gate = FrameGate.addAfter(pipeline, decoders.frames(), gateName);
            String after = decoders.frames().equals(decoders.last()) ? gateName : decoders.last();
            pipeline.addAfter(
                    after,
                    "wsgate.backend.framecheck",
                    new FrameCheck(Leg.BACKEND, maxMessageSize, caps, gate, onFailure));
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (this.failed) {
            // After a failure only the client's answering close frame goes on: it lets the session end at once.
            // The backend's close is the session's to wait for (its leg gate hears the answer).
            if (this.leg == Leg.CLIENT && msg instanceof CloseWebSocketFrame) {
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
                fail(violation.closeStatus(), violation.getMessage());
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private CorruptedWebSocketFrameException violation(WebSocketFrame frame) {
        if (frame instanceof CloseWebSocketFrame close && this.leg == Leg.CLIENT) {
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
        return this.messageBytes > this.maxMessageSize
                ? new CorruptedWebSocketFrameException(
                        WebSocketCloseStatus.MESSAGE_TOO_BIG, "message larger than " + this.maxMessageSize + " bytes")
                : null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupted && this.leg == Leg.CLIENT) {
            // From the decoder or the UTF-8 validator: a framing error, invalid UTF-8 or a frame over the limit.
            fail(corrupted.closeStatus(), corrupted.getMessage());
            return;
        }
        CorruptedWebSocketFrameException inflation = inflationFailure(cause);
        if (inflation != null) {
            fail(inflation.closeStatus(), inflation.getMessage());
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    /**
     * The close an error of a deflate decoder calls for: 1009 for a frame past the limit (see the deflate decoder's
     * maximum allocation), 1002 for data that is not deflate; {@code null} for any other error.
     */
    static CorruptedWebSocketFrameException inflationFailure(Throwable cause) {
        if (!(cause instanceof DecompressionException)) {
            return null;
        }
        String message = cause.getMessage();
        return message != null && message.startsWith(INFLATION_LIMIT_REACHED)
                ? new CorruptedWebSocketFrameException(
                        WebSocketCloseStatus.MESSAGE_TOO_BIG, "compressed message inflates past the size limit")
                : new CorruptedWebSocketFrameException(
                        WebSocketCloseStatus.PROTOCOL_ERROR, "invalid permessage-deflate data");
    }

    private void fail(WebSocketCloseStatus status, String message) {
        if (this.failed) {
            return;
        }
        this.failed = true;
        this.gate.shut();
        this.onFailure.accept(
                new CloseStatus(status.code(), CloseCodes.fit(message != null ? message : status.reasonText())));
    }
}
