package io.wsgate.config;

import java.time.Duration;
import java.util.Locale;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.unit.DataSize;

/**
 * A token bucket for one session's messages or bytes in one direction: {@code tokens} per {@code period}, holding at
 * most {@code burst}. Written "100/s", "100/s burst 300" for messages, "1MB/s", "64KB/s burst 1MB" for bytes; without
 * a burst the bucket holds one period's tokens.
 */
public record MessageRate(long tokens, Duration period, long burst) {

    public MessageRate {
        if (tokens <= 0 || burst <= 0 || period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("A rate needs tokens > 0, a burst > 0 and a period > 0");
        }
    }

    /** Messages: "100/s", "20/100ms", "100/s burst 300"; empty, "off" or "0": no limit ({@code null}). */
    public static MessageRate messages(String value) {
        return parse(value, text -> Long.parseLong(text.trim()));
    }

    /** Bytes: "1MB/s", "64KB/s burst 1MB"; empty, "off" or "0": no limit ({@code null}). */
    public static MessageRate bytes(String value) {
        return parse(
                value,
                text -> DataSize.parse(text.trim().toUpperCase(Locale.ROOT)).toBytes());
    }

    private static MessageRate parse(String value, java.util.function.ToLongFunction<String> amount) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.equals("off") || text.equals("0")) {
            return null;
        }
        String rate = text;
        String burst = null;
        int burstAt = text.indexOf("burst");
        if (burstAt >= 0) {
            rate = text.substring(0, burstAt).trim();
            burst = text.substring(burstAt + "burst".length()).trim();
        }
        int slash = rate.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + value + "' is not amount/period, e.g. 100/s");
        }
        long tokens = amount.applyAsLong(rate.substring(0, slash));
        String period = rate.substring(slash + 1).trim();
        if (!period.isEmpty() && Character.isLetter(period.charAt(0))) {
            period = "1" + period;
        }
        return new MessageRate(
                tokens, DurationStyle.SIMPLE.parse(period), burst != null ? amount.applyAsLong(burst) : tokens);
    }
}
