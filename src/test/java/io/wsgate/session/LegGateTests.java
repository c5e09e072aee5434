package io.wsgate.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.wsgate.config.MessageLimits;
import io.wsgate.config.RoutePolicy;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.vocabulary.ClosedBy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;
import reactor.test.StepVerifier;

/**
 * {@link LegGate} on both legs of a real {@link SessionLifecycle}, each leg an {@link EmbeddedChannel} on a frozen
 * clock standing for its TCP connection: what each peer is written, when its connection half-closes and closes, and
 * what the lifecycle hears from each.
 */
class LegGateTests {

    private static final long LINGER = LegGate.LINGER.toMillis();

    private static final long END_TIMEOUT = LegGate.END_TIMEOUT.toMillis();

    private final ProxiedSession session = new ProxiedSession(
            "chat",
            new InetSocketAddress("127.0.0.1", 50_000),
            URI.create("ws://127.0.0.1:9/chat"),
            new WebSocketMetrics(new SimpleMeterRegistry(), route -> 0).route("chat"),
            FrameLog.of(false, 0),
            new RoutePolicy(
                    Duration.ZERO,
                    Duration.ZERO,
                    Duration.ZERO,
                    Long.MAX_VALUE,
                    Long.MAX_VALUE,
                    Duration.ZERO,
                    Duration.ZERO,
                    MessageLimits.NONE));

    private final SessionLifecycle lifecycle = this.session.lifecycle();

    private final Connection client = new Connection();

    private final Connection backend = new Connection();

    @AfterEach
    void releaseAll() {
        this.client.finishAndReleaseAll();
        this.backend.finishAndReleaseAll();
    }

    @Test
    void isInstalledJustBeforeReactorNettysBridge() {
        open();

        assertThat(this.client.pipeline().names()).containsSubsequence(LegGate.NAME, NettyPipeline.ReactiveBridge);
        assertThat(this.backend.pipeline().names()).containsSubsequence(LegGate.NAME, NettyPipeline.ReactiveBridge);
    }

    @Test
    void theClientsCloseFrameIsAnsweredAndRelayedOnceThenTheClientsConnectionCloses() {
        open();
        this.client.writeInbound(new CloseWebSocketFrame(4000, "bye"));

        // Reactor Netty sees the close frame too.
        assertThat(this.client.<CloseWebSocketFrame>readInbound().statusCode()).isEqualTo(4000);
        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.CLIENT);
        assertThat(this.lifecycle.ending().code()).isEqualTo(4000);
        assertThat(this.client.closeFrames()).containsExactly("4000 bye");
        assertThat(this.backend.closeFrames()).containsExactly("4000 bye");
        // The close handshake with the client is complete: closed at once, no half-close needed.
        assertThat(this.client.isOpen()).isFalse();
        assertThat(this.client.isOutputShutdown()).isFalse();
        // The backend gets the close frame, then a FIN, and its connection waits for the backend's answer.
        assertThat(this.backend.isOpen()).isTrue();
        assertThat(this.backend.writtenBeforeFin).isEqualTo(1);
    }

    @Test
    void theOtherPeersAnsweringCloseFrameClosesItsConnectionAtOnce() {
        open();
        this.client.writeInbound(new CloseWebSocketFrame(1000, "done"));
        ReferenceCountUtil.release(this.client.readInbound());
        assertThat(this.backend.isOpen()).isTrue();

        this.backend.writeInbound(new CloseWebSocketFrame(1000, "done"));

        assertThat(this.backend.isOpen()).isFalse();
        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.CLIENT);
        StepVerifier.create(this.lifecycle.ended()).expectComplete().verify(Duration.ofSeconds(5));
    }

    @Test
    void dropsEveryCloseFrameButTheSessions() {
        open();
        // Reactor Netty's own closes: the 1000 of a completed handler, the empty frame of a cancelled receive().
        ChannelFuture normal = this.backend.writeAndFlush(new CloseWebSocketFrame(1000, "handler done"));
        CloseWebSocketFrame empty = new CloseWebSocketFrame();
        ChannelFuture cancelled = this.client.writeAndFlush(empty);

        assertThat(normal.isSuccess()).isTrue();
        assertThat(cancelled.isSuccess()).isTrue();
        assertThat(empty.refCnt()).isZero();
        assertThat(this.backend.closeFrames()).isEmpty();
        assertThat(this.client.closeFrames()).isEmpty();
        assertThat(this.lifecycle.ending()).isNull();

        TextWebSocketFrame message = new TextWebSocketFrame("still relayed");
        this.client.writeAndFlush(message);
        assertThat((Object) this.client.readOutbound()).isSameAs(message);
        message.release();
    }

    @Test
    void writesTheSessionsCloseFrameOnceAndNothingAfterIt() {
        open();
        this.lifecycle.close(GatewayClose.shutdown());
        this.lifecycle.close(GatewayClose.idle(Duration.ofSeconds(1)));
        TextWebSocketFrame late = new TextWebSocketFrame("late");
        ChannelFuture write = this.client.writeAndFlush(late);
        this.client.writeAndFlush(new CloseWebSocketFrame(1000, "echo"));

        assertThat(this.client.closeFrames()).containsExactly("1001 going away");
        assertThat(this.backend.closeFrames()).containsExactly("1001 going away");
        assertThat(write.isSuccess()).isTrue();
        assertThat(late.refCnt()).isZero();
    }

    @Test
    void halfClosesAfterTheCloseFrameAndClosesAfterTheLingerWithoutAnAnswer() {
        open();
        this.lifecycle.close(GatewayClose.shutdown());

        for (Connection leg : List.of(this.client, this.backend)) {
            assertThat(leg.isOutputShutdown()).isTrue();
            assertThat(leg.writtenBeforeFin).as("frames written before the FIN").isEqualTo(1);
        }
        advance(LINGER - 1);
        assertThat(this.client.isOpen()).isTrue();
        assertThat(this.backend.isOpen()).isTrue();

        advance(1);
        assertThat(this.client.isOpen()).isFalse();
        assertThat(this.backend.isOpen()).isFalse();
        StepVerifier.create(this.lifecycle.ended()).expectComplete().verify(Duration.ofSeconds(5));
    }

    @Test
    void thePeersFinAfterTheSessionsCloseFrameClosesAtOnce() {
        open();
        this.lifecycle.close(GatewayClose.shutdown());

        this.client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);

        assertThat(this.client.isOpen()).isFalse();
        assertThat(this.backend.isOpen()).isTrue();
        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.GATEWAY);
    }

    @Test
    void closesWithinTheEndTimeoutWhenTheCloseFrameCannotBeWritten() {
        open();
        // A backend that stopped reading: nothing written to it completes.
        this.backend.pipeline().addFirst("full send buffer", new StalledWrites());
        this.lifecycle.close(GatewayClose.shutdown());
        assertThat(this.backend.isOutputShutdown()).isFalse();

        advance(END_TIMEOUT - 1);
        assertThat(this.backend.isOpen()).isTrue();
        assertThat(this.client.isOpen())
                .as("the client's close ran its own course")
                .isFalse();

        advance(1);
        assertThat(this.backend.isOpen()).isFalse();
    }

    @Test
    void aFinBeforeAnyCloseFrameIsTheClientGoingAway() {
        open();
        this.client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);

        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.CLIENT);
        assertThat(this.lifecycle.ending().code()).isEqualTo(1006);
        assertThat(this.client.closeFrames()).isEmpty();
        assertThat(this.client.isOpen()).isFalse();
        assertThat(this.backend.closeFrames()).containsExactly("1001 client went away");
    }

    @Test
    void aResetOfTheBackendIsTheBackendLost() {
        open();
        this.backend.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));

        // Reactor Netty hears of it too.
        assertThatThrownBy(this.backend::checkException).isInstanceOf(IOException.class);
        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.BACKEND);
        assertThat(this.lifecycle.ending().code()).isEqualTo(1006);
        assertThat(this.backend.closeFrames()).isEmpty();
        assertThat(this.backend.isOpen()).isFalse();
        assertThat(this.client.closeFrames()).containsExactly("1011 backend connection lost");
    }

    @Test
    void aConnectionThatClosesUnderneathIsReported() {
        open();
        this.backend.unsafe().close(this.backend.unsafe().voidPromise());
        this.backend.runPendingTasks();

        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.BACKEND);
        assertThat(this.lifecycle.ending().code()).isEqualTo(1006);
        assertThat(this.client.closeFrames()).containsExactly("1011 backend connection lost");
    }

    @Test
    void holdsReactorNettysCloseUntilTheSessionsCloseOfTheLegRan() {
        open();
        // Through the pipeline, as Channel.close() does; EmbeddedChannel.close() would also cancel every timer.
        ChannelFuture held = this.backend.pipeline().close();

        assertThat(held.isDone()).isFalse();
        assertThat(this.backend.isActive()).isTrue();
        // Reactor Netty closing a leg on its own, while the other is there: the gateway failed.
        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.GATEWAY);
        assertThat(this.backend.closeFrames()).containsExactly("1011 gateway relay error");
        assertThat(this.client.closeFrames()).containsExactly("1011 gateway relay error");

        advance(LINGER);
        assertThat(held.isSuccess()).isTrue();
        assertThat(this.backend.isActive()).isFalse();
    }

    @Test
    void reactorNettyWindingUpALegWhoseOtherLegIsGoneIsThatLegsLoss() {
        open();
        // The client's connection is closed, and its gate has not heard yet (its event loop is behind).
        this.client.pipeline().addFirst("not heard yet", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelInactive(ChannelHandlerContext ctx) {}
        });
        this.client.unsafe().close(this.client.unsafe().voidPromise());

        this.backend.pipeline().close();

        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.CLIENT);
        assertThat(this.lifecycle.ending().code()).isEqualTo(1006);
        assertThat(this.backend.closeFrames()).containsExactly("1001 client went away");
    }

    @Test
    void aLegGoneBeforeItsGateWasInstalledIsReportedLost() {
        this.client.close();

        open();

        assertThat(this.lifecycle.ending().closedBy()).isEqualTo(ClosedBy.CLIENT);
        assertThat(this.lifecycle.ending().code()).isEqualTo(1006);
        assertThat(this.backend.closeFrames()).containsExactly("1001 client went away");
    }

    @Test
    void aLegUpgradedAfterTheSessionEndedGetsItsCloseFrameAtOnce() {
        this.lifecycle.backendOpened(this.backend);
        this.backend.writeInbound(new CloseWebSocketFrame(4001, "no"));
        ReferenceCountUtil.release(this.backend.readInbound());
        assertThat(this.backend.isOpen()).isFalse();

        // The backend ended the session while the client's upgrade was on its way.
        this.lifecycle.clientUpgraded(this.client);

        assertThat(this.client.closeFrames()).containsExactly("4001 no");
        assertThat(this.client.isOutputShutdown()).isTrue();
    }

    private void open() {
        this.lifecycle.clientUpgraded(this.client);
        this.lifecycle.backendOpened(this.backend);
    }

    private void advance(long millis) {
        for (Connection leg : List.of(this.client, this.backend)) {
            leg.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
            // A task may queue more (a close queues its channelInactive), as on a real event loop.
            do {
                leg.runPendingTasks();
            } while (leg.hasPendingTasks());
        }
    }

    /**
     * A leg's connection as Reactor Netty leaves it, ending in its bridge, on a frozen clock. Netty's {@link
     * EmbeddedChannel} is no {@link DuplexChannel}; this one records the half-close a socket would send as a FIN.
     */
    static final class Connection extends EmbeddedChannel implements DuplexChannel {

        private boolean outputShutdown;

        /** How many messages were written when the FIN went out; -1 before. */
        int writtenBeforeFin = -1;

        Connection() {
            freezeTime();
            pipeline().addLast(NettyPipeline.ReactiveBridge, new ChannelDuplexHandler());
        }

        /** The close frames written so far, as "code reason"; every other message is released. */
        List<String> closeFrames() {
            List<String> frames = new ArrayList<>();
            for (Object msg = readOutbound(); msg != null; msg = readOutbound()) {
                if (msg instanceof CloseWebSocketFrame close) {
                    frames.add(close.statusCode() + " " + close.reasonText());
                }
                ReferenceCountUtil.release(msg);
            }
            return frames;
        }

        @Override
        public boolean isInputShutdown() {
            return false;
        }

        @Override
        public ChannelFuture shutdownInput() {
            return shutdownInput(newPromise());
        }

        @Override
        public ChannelFuture shutdownInput(ChannelPromise promise) {
            return promise.setFailure(new UnsupportedOperationException("not used by the gate"));
        }

        @Override
        public boolean isOutputShutdown() {
            return this.outputShutdown;
        }

        @Override
        public ChannelFuture shutdownOutput() {
            return shutdownOutput(newPromise());
        }

        @Override
        public ChannelFuture shutdownOutput(ChannelPromise promise) {
            this.outputShutdown = true;
            this.writtenBeforeFin = outboundMessages().size();
            return promise.setSuccess();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public ChannelFuture shutdown() {
            return shutdown(newPromise());
        }

        @Override
        public ChannelFuture shutdown(ChannelPromise promise) {
            return promise.setFailure(new UnsupportedOperationException("not used by the gate"));
        }
    }

    /** Writes that never complete, as to a peer whose receive window is full; the messages are released. */
    private static final class StalledWrites extends ChannelOutboundHandlerAdapter {

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {}
    }
}
