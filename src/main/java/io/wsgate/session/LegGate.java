package io.wsgate.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.wsgate.vocabulary.Leg;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.netty.NettyPipeline;

/**
 * The only way out of a leg for a close frame and for the TCP close, and the leg's report of what its peer did.
 * {@link SessionLifecycle} decides; this handler carries the decision out on the leg's event loop.
 *
 * <p>Why it exists: Reactor Netty closes WebSocket connections on its own, and on the wrong occasions for a proxy: an
 * empty close frame (read by clients as 1005) when a leg's {@code receive()} is cancelled because the other leg
 * died, 1000 when a handler completes, 1002 on a write error, the echo of a peer's close, each followed by a TCP close.
 * Whichever of those raced ahead of the session's own close frame used to reach the wire. Here every close frame
 * but the session's is dropped, nothing is written after the session's close frame, and the TCP close Reactor
 * Netty asks for is held until the session's close of the leg has run.
 *
 * <p>The session's close of a leg: its close frame, then a half-close (FIN) so that a peer still sending gets the
 * frame instead of a reset, then the TCP close when the peer answers with its close frame or FIN, or after
 * {@link #LINGER}; and in any case {@link #END_TIMEOUT} after the close began, whether or not the close frame could
 * be written (a peer that stopped reading never lets it out).
 */
final class LegGate extends ChannelDuplexHandler {

    private static final Logger logger = LoggerFactory.getLogger(LegGate.class);

    static final String NAME = "wsgate.leg";

    /** Longest wait for the peer's answer once the session's close frame is out. */
    static final Duration LINGER = Duration.ofSeconds(2);

    /** Longest time from the start of a leg's close to its TCP close, whatever the peer does. */
    static final Duration END_TIMEOUT = Duration.ofSeconds(5);

    private final Leg leg;

    private final Channel channel;

    private final SessionLifecycle lifecycle;

    // Confined to the channel's event loop from here on.
    private ChannelHandlerContext ctx;

    private boolean closing;

    private boolean closeFrameOut;

    private boolean closeFrameSent;

    private boolean peerClosed;

    private boolean ending;

    private final List<ChannelPromise> heldCloses = new ArrayList<>(1);

    private ScheduledFuture<?> endTimer;

    private ScheduledFuture<?> lingerTimer;

    private LegGate(Leg leg, Channel channel, SessionLifecycle lifecycle) {
        this.leg = leg;
        this.channel = channel;
        this.lifecycle = lifecycle;
    }

    /**
     * Puts a gate on {@code channel}, just before Reactor Netty's bridge so that it sees every frame the peer sent
     * after the frame checks, and every write Reactor Netty makes. Safe from any thread: the gate is added on the
     * channel's event loop, before any command to it runs there.
     */
    static LegGate install(Channel channel, Leg leg, SessionLifecycle lifecycle) {
        LegGate gate = new LegGate(leg, channel, lifecycle);
        onLoop(channel, () -> {
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(NettyPipeline.ReactiveBridge) != null) {
                pipeline.addBefore(NettyPipeline.ReactiveBridge, NAME, gate);
            } else {
                pipeline.addLast(NAME, gate);
            }
        });
        return gate;
    }

    /** Whether the leg's connection is still open. */
    boolean isConnected() {
        return this.channel.isActive();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (!ctx.channel().isActive()) {
            // Gone before the session began: no channelInactive will come.
            this.ending = true;
            this.lifecycle.legEnded(this.leg);
        }
    }

    /**
     * Starts the session's close of this leg: {@code status} is the close frame to send, {@code null} for none (a
     * leg that is gone). Runs once; safe from any thread.
     */
    void end(CloseStatus status) {
        onLoop(this.channel, () -> startEnd(status));
    }

    private void startEnd(CloseStatus status) {
        if (logger.isDebugEnabled()) {
            logger.debug(
                    "{} {}: ending with {} (closing={}, active={}, peerClosed={})",
                    this.channel,
                    this.leg,
                    status == null ? "no close frame" : status.getCode(),
                    this.closing,
                    this.channel.isActive(),
                    this.peerClosed);
        }
        if (this.closing || this.ctx == null) {
            return;
        }
        this.closing = true;
        if (status == null || !this.channel.isActive()) {
            // A leg whose peer is gone gets no close frame; its connection ends now.
            endNow();
            return;
        }
        scheduleEndTimer();
        this.closeFrameOut = true;
        // From this handler's context: past the gate's own write check, which drops every other close frame.
        this.ctx
                .writeAndFlush(new CloseWebSocketFrame(status.getCode(), status.getReason()))
                .addListener(future -> {
                    if (future.isSuccess()) {
                        this.closeFrameSent = true;
                        afterCloseFrame();
                    } else {
                        endNow();
                    }
                });
    }

    private void afterCloseFrame() {
        if (this.peerClosed) {
            // The close handshake is complete: the peer will send nothing more.
            endNow();
            return;
        }
        if (this.channel instanceof DuplexChannel duplex && !duplex.isOutputShutdown()) {
            duplex.shutdownOutput();
        }
        this.lingerTimer = this.ctx.executor().schedule(this::endNow, LINGER.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void scheduleEndTimer() {
        if (this.endTimer == null) {
            this.endTimer = this.ctx.executor().schedule(this::endNow, END_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void endNow() {
        if (this.ending && !this.channel.isActive()) {
            return;
        }
        logger.debug("{} {}: closing the connection", this.channel, this.leg);
        this.ending = true;
        cancelTimers();
        this.ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CloseWebSocketFrame close && close.isFinalFragment() && !this.peerClosed) {
            logger.debug("{} {}: peer closed with {}", this.channel, this.leg, close.statusCode());
            this.peerClosed = true;
            // The session decides first: a close frame of its own may be the answer, written right here.
            this.lifecycle.peerClosed(this.leg, close.statusCode(), close.reasonText());
            if (this.closeFrameSent) {
                endNow();
            }
        }
        // Reactor Netty sees it too (its receive() completes); its echo and close are this gate's to hold.
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        logger.debug("{} {}: connection closed", this.channel, this.leg);
        this.ending = true;
        cancelTimers();
        for (ChannelPromise held : this.heldCloses) {
            held.trySuccess();
        }
        this.heldCloses.clear();
        this.lifecycle.legEnded(this.leg);
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent || evt == ChannelInputShutdownReadComplete.INSTANCE) {
            // The peer's FIN: after its close frame, or after ours, the close is complete; before either, the peer
            // went away without one.
            logger.debug("{} {}: peer sent FIN", this.channel, this.leg);
            if (!this.peerClosed) {
                this.lifecycle.legLost(this.leg);
            }
            if (this.closeFrameSent || this.peerClosed) {
                endNow();
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (cause instanceof IOException && !this.ending) {
            // A reset or a failed read: the peer is gone, before Reactor Netty closes the connection for it.
            logger.debug("{} {}: connection failed: {}", this.channel, this.leg, cause.toString());
            this.lifecycle.legLost(this.leg);
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (this.closeFrameOut || msg instanceof CloseWebSocketFrame) {
            // Nothing after the session's close frame, and no close frame but the session's (see startEnd).
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        if (this.ending || !this.channel.isActive()) {
            super.close(ctx, promise);
            return;
        }
        // Reactor Netty closing on its own: the session's close of this leg goes first, bounded by END_TIMEOUT.
        logger.debug("{} {}: close requested by Reactor Netty, held", this.channel, this.leg);
        this.heldCloses.add(promise);
        scheduleEndTimer();
        this.lifecycle.closeRequested(this.leg);
    }

    private void cancelTimers() {
        if (this.endTimer != null) {
            this.endTimer.cancel(false);
        }
        if (this.lingerTimer != null) {
            this.lingerTimer.cancel(false);
        }
    }

    private static void onLoop(Channel channel, Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }
}
