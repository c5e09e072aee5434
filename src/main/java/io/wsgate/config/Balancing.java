package io.wsgate.config;

import java.util.Locale;

/**
 * How a route with an {@code lb:} uri picks a backend instance for a new session (route metadata {@code lb-policy}
 * and {@code hash-key}).
 *
 * @param policy round robin, the instance with the fewest open sessions, or a consistent hash of a request value
 * @param hashKey for {@code hash}: where the value comes from
 */
public record Balancing(Policy policy, HashKey hashKey) {

    public static final Balancing ROUND_ROBIN = new Balancing(Policy.ROUND_ROBIN, null);

    public enum Policy {
        ROUND_ROBIN,
        LEAST_SESSIONS,
        HASH
    }

    /** A request value: {@code header:X-User}, {@code cookie:session}, {@code query:room}. */
    public record HashKey(Source source, String name) {

        public enum Source {
            HEADER,
            COOKIE,
            QUERY
        }

        static HashKey parse(String value) {
            int colon = value.indexOf(':');
            if (colon <= 0 || colon == value.length() - 1) {
                throw new IllegalArgumentException("not source:name");
            }
            Source source = Source.valueOf(value.substring(0, colon).trim().toUpperCase(Locale.ROOT));
            return new HashKey(source, value.substring(colon + 1).trim());
        }
    }
}
