package io.wsgate.config;

import io.wsgate.vocabulary.Direction;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The limits and timers of one route's sessions, the part of its {@link RouteSettings} the session reads: the route's
 * metadata where it sets them, the {@code wsgate.session.*} defaults otherwise. A zero duration turns a timer off.
 *
 * @param maxMessageSizeClientToBackend largest message from the client, in bytes; {@code Long.MAX_VALUE}: no limit
 * @param maxMessageSizeBackendToClient largest message from the backend, in bytes; {@code Long.MAX_VALUE}: no limit
 */
public record RoutePolicy(
        Duration idleTimeout,
        Duration pingInterval,
        Duration pongTimeout,
        long maxMessageSizeClientToBackend,
        long maxMessageSizeBackendToClient,
        Duration maxSessionAge,
        Duration maxSessionAgeJitter) {

    public long maxMessageSize(Direction direction) {
        return direction == Direction.CLIENT_TO_BACKEND
                ? this.maxMessageSizeClientToBackend
                : this.maxMessageSizeBackendToClient;
    }

    /** This session's age limit: the max age plus a random share of the jitter; zero when there is none. */
    public Duration sessionAgeLimit() {
        if (!isOn(this.maxSessionAge)) {
            return Duration.ZERO;
        }
        long jitter = this.maxSessionAgeJitter.toNanos();
        return this.maxSessionAge.plusNanos(
                jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
    }

    public static boolean isOn(Duration timer) {
        return timer != null && !timer.isNegative() && !timer.isZero();
    }
}
