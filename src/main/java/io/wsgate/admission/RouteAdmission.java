package io.wsgate.admission;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.springframework.util.StringUtils;
import org.springframework.web.cors.CorsConfiguration;

/**
 * What one route admits, from its metadata ({@code max-sessions}, {@code handshake-rate-per-client},
 * {@code allowed-origins}) over the {@code wsgate.limits.*} and {@code wsgate.origins.*} defaults.
 *
 * @param maxSessions most sessions open at once on the route; 0 for no limit
 * @param rate handshakes per client address; {@code null} for no limit
 * @param origins the allowed origin patterns, checked as CORS checks them
 */
record RouteAdmission(int maxSessions, HandshakeRate rate, CorsConfiguration origins) {

    static final String MAX_SESSIONS = "max-sessions";

    static final String HANDSHAKE_RATE = "handshake-rate-per-client";

    static final String ALLOWED_ORIGINS = "allowed-origins";

    /** The route's settings: each metadata key present replaces its default. */
    static RouteAdmission of(Map<String, Object> metadata, RouteAdmission defaults) {
        int maxSessions = defaults.maxSessions();
        Object max = metadata.get(MAX_SESSIONS);
        if (max != null) {
            try {
                maxSessions = Integer.parseInt(max.toString().trim());
            } catch (NumberFormatException ex) {
                maxSessions = -1;
            }
            if (maxSessions < 0) {
                throw new IllegalArgumentException(MAX_SESSIONS + " must be 0 (no limit) or more, not '" + max + "'");
            }
        }
        Object rate = metadata.get(HANDSHAKE_RATE);
        Object origins = metadata.get(ALLOWED_ORIGINS);
        return new RouteAdmission(
                maxSessions,
                rate != null ? HandshakeRate.parse(rate.toString()) : defaults.rate(),
                origins != null ? originsOf(values(origins)) : defaults.origins());
    }

    /** Origin patterns as CORS takes them: "*", "https://*.example.com", "http://localhost:[*]". */
    static CorsConfiguration originsOf(List<String> patterns) {
        CorsConfiguration origins = new CorsConfiguration();
        origins.setAllowedOriginPatterns(patterns);
        return origins;
    }

    /** Whether a request with this Origin header may open a session; no Origin (not a browser) always may. */
    boolean allowsOrigin(String origin) {
        return origin == null || this.origins.checkOrigin(origin) != null;
    }

    /**
     * A metadata value as a list: YAML lists arrive as a collection or as a map by index ("0", "1", ...) depending
     * on where they were bound; a string is split at commas.
     */
    private static List<String> values(Object value) {
        Collection<?> items;
        if (value instanceof Collection<?> collection) {
            items = collection;
        } else if (value instanceof Map<?, ?> map) {
            items = map.values();
        } else {
            items = List.of(StringUtils.commaDelimitedListToStringArray(value.toString()));
        }
        List<String> values = new ArrayList<>();
        for (Object item : items) {
            String text = item.toString().trim();
            if (!text.isEmpty()) {
                values.add(text);
            }
        }
        return values;
    }
}
