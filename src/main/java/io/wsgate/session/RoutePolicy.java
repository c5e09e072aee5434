package io.wsgate.session;

import io.wsgate.config.RouteSettings;
import io.wsgate.metrics.Direction;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The limits and timers of one route's sessions, from its {@link RouteSettings}: the route's metadata where it sets
 * them, the {@code wsgate.session.*} defaults otherwise. A zero duration turns a timer off.
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

    /** The session part of a route's settings. */
    public static RoutePolicy of(RouteSettings settings) {
        return new RoutePolicy(
                settings.idleTimeout(),
                settings.pingInterval(),
                settings.pongTimeout(),
                settings.maxMessageSizeClientToBackend(),
                settings.maxMessageSizeBackendToClient(),
                settings.maxSessionAge(),
                settings.maxSessionAgeJitter());
    }

    public long maxMessageSize(Direction direction) {
        return direction == Direction.CLIENT_TO_BACKEND
                ? this.maxMessageSizeClientToBackend
                : this.maxMessageSizeBackendToClient;
    }

    /** This session's age limit: the max age plus a random share of the jitter; zero when there is none. */
    Duration sessionAgeLimit() {
        if (!isOn(this.maxSessionAge)) {
            return Duration.ZERO;
        }
        long jitter = this.maxSessionAgeJitter.toNanos();
        return this.maxSessionAge.plusNanos(
                jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
    }

    static boolean isOn(Duration timer) {
        return timer != null && !timer.isNegative() && !timer.isZero();
    }
}
