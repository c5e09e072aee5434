package io.wsgate.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.StringUtils;

/**
 * A handshake rate as "tokens/period": a bucket of {@code tokens} handshakes, refilled at that many per
 * {@code period}. So "20/s" allows a burst of 20 and then 20 a second; "100/1m" a burst of 100, then one every
 * 0.6 s.
 */
public record HandshakeRate(long tokens, Duration period) {

    public HandshakeRate {
        if (tokens <= 0 || period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("A handshake rate needs tokens > 0 and a period > 0");
        }
    }

    /**
     * Parses "20/s", "20/1s", "100/1m", "5/500ms"; a unit without a number is one of it. Empty, "off" or "0" mean
     * no limit ({@code null}).
     */
    public static HandshakeRate parse(String value) {
        if (!StringUtils.hasText(value)) {
            return null;
        }
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.equals("off") || text.equals("0")) {
            return null;
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("Handshake rate '" + value + "' must be tokens/period, e.g. 20/s");
        }
        try {
            long tokens = Long.parseLong(text.substring(0, slash).trim());
            String period = text.substring(slash + 1).trim();
            if (!period.isEmpty() && Character.isLetter(period.charAt(0))) {
                period = "1" + period;
            }
            return new HandshakeRate(tokens, DurationStyle.SIMPLE.parse(period));
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(
                    "Handshake rate '" + value + "' must be tokens/period, e.g. 20/s or 100/1m", ex);
        }
    }

    /** As configured: "2/1h", "20/1s", "5/500ms". */
    @Override
    public String toString() {
        for (ChronoUnit unit : List.of(ChronoUnit.DAYS, ChronoUnit.HOURS, ChronoUnit.MINUTES, ChronoUnit.SECONDS)) {
            if (this.period.toNanos() % unit.getDuration().toNanos() == 0) {
                return this.tokens + "/" + DurationStyle.SIMPLE.print(this.period, unit);
            }
        }
        return this.tokens + "/" + DurationStyle.SIMPLE.print(this.period);
    }
}
