package io.wsgate.pipeline;

import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Counts what one peer costs the gateway beyond bytes: fragments of the message being read (each fragment is a
 * frame object and a component the aggregator may recopy) and pings and pongs per second (each ping costs a pong
 * write). Used by one connection's frame check, on its event loop.
 */
public final class FrameCaps {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final int maxFragmentsPerMessage;

    private final int maxControlFramesPerSecond;

    private final LongSupplier nanoClock;

    private int fragments;

    private long windowStart;

    private int controlFrames;

    /** Caps of 0 are off. */
    public FrameCaps(int maxFragmentsPerMessage, int maxControlFramesPerSecond) {
        this(maxFragmentsPerMessage, maxControlFramesPerSecond, System::nanoTime);
    }

    /** With the clock the control-frame window is read from (tests move it). */
    FrameCaps(int maxFragmentsPerMessage, int maxControlFramesPerSecond, LongSupplier nanoClock) {
        this.maxFragmentsPerMessage = maxFragmentsPerMessage;
        this.maxControlFramesPerSecond = maxControlFramesPerSecond;
        this.nanoClock = nanoClock;
        this.windowStart = nanoClock.getAsLong();
    }

    /** Counts {@code frame}; returns why it passes a cap (a close reason), or {@code null}. */
    String exceeded(WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
            this.fragments = 1;
        } else if (frame instanceof ContinuationWebSocketFrame) {
            if (++this.fragments > this.maxFragmentsPerMessage && this.maxFragmentsPerMessage > 0) {
                return "more than " + this.maxFragmentsPerMessage + " fragments in one message";
            }
        } else if (frame instanceof PingWebSocketFrame || frame instanceof PongWebSocketFrame) {
            // A fixed one-second window: cheap, and at most twice the cap across a window's edge.
            long now = this.nanoClock.getAsLong();
            if (now - this.windowStart >= SECOND) {
                this.windowStart = now;
                this.controlFrames = 0;
            }
            if (++this.controlFrames > this.maxControlFramesPerSecond && this.maxControlFramesPerSecond > 0) {
                return "more than " + this.maxControlFramesPerSecond + " pings and pongs per second";
            }
        }
        return null;
    }
}
