package io.wsgate.session;

import io.github.bucket4j.Bucket;
import io.wsgate.config.MessageLimits;
import io.wsgate.config.MessageRate;
import io.wsgate.vocabulary.Direction;

/**
 * One session's token buckets for the messages and bytes of one direction ({@link MessageLimits}): either a message
 * takes its tokens now or not at all ({@link #tryTake}, for {@code close}), or it reserves them and waits until they
 * are there ({@link #reserve}, for {@code throttle}). Used by one relay stream at a time.
 */
final class MessageRateLimit {

    private final Bucket messages;

    private final Bucket bytes;

    private MessageRateLimit(Bucket messages, Bucket bytes) {
        this.messages = messages;
        this.bytes = bytes;
    }

    /** The limit of {@code direction}, or {@code null} when it has none. */
    static MessageRateLimit of(MessageLimits limits, Direction direction) {
        return limits.limits(direction)
                ? new MessageRateLimit(bucket(limits.messages(direction)), bucket(limits.bytes(direction)))
                : null;
    }

    private static Bucket bucket(MessageRate rate) {
        if (rate == null) {
            return null;
        }
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(rate.burst()).refillGreedy(rate.tokens(), rate.period()))
                .build();
    }

    /** Takes a message of {@code size} bytes if both buckets have the tokens now; else takes nothing. */
    boolean tryTake(int size) {
        if (this.messages != null && !this.messages.tryConsume(1)) {
            return false;
        }
        if (this.bytes != null && size > 0 && !this.bytes.tryConsume(size)) {
            // Give the message's token back: nothing was sent.
            if (this.messages != null) {
                this.messages.addTokens(1);
            }
            return false;
        }
        return true;
    }

    /**
     * Reserves a message of {@code size} bytes, going into debt when the buckets are short; returns how long to hold
     * it back (0: send now). A message larger than the byte burst is let through after the wait its size costs.
     */
    long reserve(int size) {
        long wait = 0;
        if (this.messages != null) {
            wait = this.messages.consumeIgnoringRateLimits(1);
        }
        if (this.bytes != null && size > 0) {
            wait = Math.max(wait, this.bytes.consumeIgnoringRateLimits(size));
        }
        return wait;
    }
}
