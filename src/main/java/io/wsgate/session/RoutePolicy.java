package io.wsgate.session;

import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.Direction;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.convert.ConversionException;
import org.springframework.core.convert.ConversionService;
import org.springframework.util.unit.DataSize;

/**
 * The limits and timers of one route's sessions: the route's metadata where it sets them, the
 * {@code wsgate.session.*} defaults otherwise. Values take Spring Boot's usual forms ({@code 500ms}, {@code 5m},
 * {@code 64KB}); a zero duration turns a timer off.
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

    public static final String IDLE_TIMEOUT = "idle-timeout";

    public static final String PING_INTERVAL = "ping-interval";

    public static final String PONG_TIMEOUT = "pong-timeout";

    public static final String MAX_MESSAGE_SIZE = "max-message-size";

    public static final String MAX_MESSAGE_SIZE_CLIENT_TO_BACKEND = "max-message-size-client-to-backend";

    public static final String MAX_MESSAGE_SIZE_BACKEND_TO_CLIENT = "max-message-size-backend-to-client";

    public static final String MAX_SESSION_AGE = "max-session-age";

    public static final String MAX_SESSION_AGE_JITTER = "max-session-age-jitter";

    private static final ConversionService conversion = ApplicationConversionService.getSharedInstance();

    /**
     * The policy of a route with {@code metadata}. Throws {@link IllegalArgumentException} naming the key when a
     * value is not a duration or size.
     */
    public static RoutePolicy of(Map<String, Object> metadata, WsgateProperties.Session defaults) {
        DataSize bothWays = get(metadata, MAX_MESSAGE_SIZE, DataSize.class, defaults.getMaxMessageSize());
        long maxMessageSize = bothWays != null ? bothWays.toBytes() : Long.MAX_VALUE;
        return new RoutePolicy(
                get(metadata, IDLE_TIMEOUT, Duration.class, defaults.getIdleTimeout()),
                get(metadata, PING_INTERVAL, Duration.class, defaults.getPingInterval()),
                get(metadata, PONG_TIMEOUT, Duration.class, defaults.getPongTimeout()),
                size(metadata, MAX_MESSAGE_SIZE_CLIENT_TO_BACKEND, maxMessageSize),
                size(metadata, MAX_MESSAGE_SIZE_BACKEND_TO_CLIENT, maxMessageSize),
                get(metadata, MAX_SESSION_AGE, Duration.class, defaults.getMaxSessionAge()),
                get(metadata, MAX_SESSION_AGE_JITTER, Duration.class, defaults.getMaxSessionAgeJitter()));
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

    private static long size(Map<String, Object> metadata, String key, long fallback) {
        DataSize size = get(metadata, key, DataSize.class, null);
        return size != null ? size.toBytes() : fallback;
    }

    private static <T> T get(Map<String, Object> metadata, String key, Class<T> type, T fallback) {
        Object value = metadata.get(key);
        if (value == null || value.toString().isBlank()) {
            return fallback;
        }
        try {
            T converted = conversion.convert(value, type);
            if (converted == null) {
                throw new IllegalArgumentException("metadata " + key + ": '" + value + "' is empty");
            }
            return converted;
        } catch (ConversionException ex) {
            String expected = type == Duration.class ? "a duration such as 500ms or 5m" : "a size such as 64KB";
            throw new IllegalArgumentException("metadata " + key + ": '" + value + "' is not " + expected, ex);
        }
    }
}
