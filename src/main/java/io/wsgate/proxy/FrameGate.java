package io.wsgate.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits right after a connection's WebSocket frame decoder, before any extension decoder, and drops every frame
 * once the connection's frame check has failed it: what the peer sends while its close is under way is never
 * inflated, aggregated or relayed.
 */
final class FrameGate extends ChannelInboundHandlerAdapter {

    private boolean shut;

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
        if (this.shut) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
