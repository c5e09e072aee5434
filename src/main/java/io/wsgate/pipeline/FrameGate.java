package io.wsgate.pipeline;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;

/**
 * Sits right after a connection's WebSocket frame decoder, before any extension decoder, and drops every frame
 * but a close frame once the connection's frame check has failed it: what the peer sends while its close is under
 * way is never inflated, aggregated or relayed.
 */
final class FrameGate extends ChannelInboundHandlerAdapter {

    private boolean shut;

    /**
     * Where a WebSocket connection's frames are decoded: the frame decoder's name, and the name of the last
     * decoder (the frame decoder, or the extension decoder after it when permessage-deflate was negotiated).
     */
    record Decoders(String frames, String last, boolean extensions) {

        /** The decoders of {@code pipeline}, or {@code null} when it has no WebSocket frame decoder. */
        static Decoders of(ChannelPipeline pipeline) {
            String frames = null;
            String last = null;
            boolean extensions = false;
            for (Map.Entry<String, ChannelHandler> entry : pipeline) {
                if (entry.getValue() instanceof WebSocketFrameDecoder) {
                    frames = entry.getKey();
                    last = frames;
                } else if (entry.getValue() instanceof WebSocketExtensionDecoder) {
                    extensions = true;
                    last = entry.getKey();
                }
            }
            return frames != null ? new Decoders(frames, last, extensions) : null;
        }
    }

    /** Adds a gate after {@code decoderName}. On the channel's event loop. */
    static FrameGate addAfter(ChannelPipeline pipeline, String decoderName, String name) {
        FrameGate gate = new FrameGate();
        pipeline.addAfter(decoderName, name, gate);
        return gate;
    }

    /** From now on every frame is dropped. On the channel's event loop. */
    void shut() {
        this.shut = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Only the peer's answering close frame goes on: it lets the session end without waiting for its linger.
        if (this.shut && !(msg instanceof CloseWebSocketFrame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
