package io.wsgate.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FrameCapsTests {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong now = new AtomicLong(42 * SECOND);

    @Test
    void aMessageMayHaveExactlyTheMaximumNumberOfFragments() {
        FrameCaps caps = new FrameCaps(3, 0, this.now::get);
        assertThat(caps.exceeded(frame(new TextWebSocketFrame(false, 0, "a")))).isNull();
        assertThat(caps.exceeded(frame(new ContinuationWebSocketFrame(false, 0, "b"))))
                .isNull();
        assertThat(caps.exceeded(frame(new ContinuationWebSocketFrame(false, 0, "c"))))
                .isNull();
        assertThat(caps.exceeded(frame(new ContinuationWebSocketFrame(true, 0, "d"))))
                .isEqualTo("more than 3 fragments in one message");
    }

    @Test
    void eachMessageCountsItsOwnFragments() {
        FrameCaps caps = new FrameCaps(2, 0, this.now::get);
        for (int message = 0; message < 5; message++) {
            WebSocketFrame first = message % 2 == 0
                    ? new TextWebSocketFrame(false, 0, "a")
                    : new BinaryWebSocketFrame(false, 0, Unpooled.buffer(1));
            assertThat(caps.exceeded(frame(first))).isNull();
            assertThat(caps.exceeded(frame(new ContinuationWebSocketFrame(true, 0, "b"))))
                    .as("message %d", message)
                    .isNull();
        }
    }

    @Test
    void controlFramesInterleavedWithAMessageAreNotFragments() {
        FrameCaps caps = new FrameCaps(2, 0, this.now::get);
        assertThat(caps.exceeded(frame(new TextWebSocketFrame(false, 0, "a")))).isNull();
        for (int i = 0; i < 10; i++) {
            assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        }
        assertThat(caps.exceeded(frame(new ContinuationWebSocketFrame(true, 0, "b"))))
                .isNull();
    }

    @Test
    void aFragmentCapOfZeroIsOff() {
        FrameCaps caps = new FrameCaps(0, 0, this.now::get);
        assertThat(caps.exceeded(frame(new BinaryWebSocketFrame(false, 0, Unpooled.buffer()))))
                .isNull();
        for (int i = 0; i < 10_000; i++) {
            assertThat(caps.exceeded(frame(new ContinuationWebSocketFrame(false, 0, "x"))))
                    .isNull();
        }
    }

    @Test
    void pingsAndPongsCountTogetherUpToTheCapWithinOneSecond() {
        FrameCaps caps = new FrameCaps(0, 4, this.now::get);
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        assertThat(caps.exceeded(frame(new PongWebSocketFrame()))).isNull();
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        this.now.addAndGet(SECOND - 1);
        assertThat(caps.exceeded(frame(new PongWebSocketFrame()))).isNull();
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isEqualTo("more than 4 pings and pongs per second");
    }

    @Test
    void theControlFrameWindowStartsAgainAfterOneSecond() {
        FrameCaps caps = new FrameCaps(0, 2, this.now::get);
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        this.now.addAndGet(SECOND);
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        // A window is one second from its first ping.
        this.now.addAndGet(SECOND - 1);
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isEqualTo("more than 2 pings and pongs per second");
    }

    @Test
    void dataFramesDoNotCountAsControlFrames() {
        FrameCaps caps = new FrameCaps(0, 1, this.now::get);
        for (int i = 0; i < 10; i++) {
            assertThat(caps.exceeded(frame(new TextWebSocketFrame("a")))).isNull();
        }
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isEqualTo("more than 1 pings and pongs per second");
    }

    @Test
    void aControlFrameCapOfZeroIsOff() {
        FrameCaps caps = new FrameCaps(0, 0, this.now::get);
        for (int i = 0; i < 10_000; i++) {
            assertThat(caps.exceeded(frame(new PingWebSocketFrame()))).isNull();
        }
    }

    /** The caps only count: the frame is released right away. */
    private static WebSocketFrame frame(WebSocketFrame frame) {
        frame.release();
        return frame;
    }
}
