package io.wsgate.auth;

import io.wsgate.config.TokenSource;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.util.StringUtils;

/**
 * The client's token where a route accepts it (RFC 6750: the {@code Authorization: Bearer} header, the
 * {@code access_token} query parameter; and a cookie, or a {@code bearer.<token>} subprotocol entry for browsers), and
 * the request without it for the backend.
 *
 * @param token the token; {@code null} when none was sent where the route accepts one
 * @param ambiguous two different tokens were sent (RFC 6750 §2: one method per request)
 * @param foundIn where it was found
 */
record BearerToken(String token, boolean ambiguous, Set<TokenSource> foundIn) {

    static final String QUERY_PARAMETER = "access_token";

    static final String SUBPROTOCOL_PREFIX = "bearer.";

    private static final String BEARER = "bearer ";

    private static final String SEC_WEBSOCKET_PROTOCOL = "Sec-WebSocket-Protocol";

    /** The token of {@code request}'s head from the {@code sources} the route accepts. */
    static BearerToken find(URI uri, HttpHeaders headers, Set<TokenSource> sources, String cookieName) {
        String token = null;
        boolean ambiguous = false;
        Set<TokenSource> foundIn = EnumSet.noneOf(TokenSource.class);
        for (TokenSource source : TokenSource.values()) {
            if (!sources.contains(source)) {
                continue;
            }
            String found = switch (source) {
                case HEADER -> fromHeader(headers);
                case QUERY -> fromQuery(uri);
                case COOKIE -> fromCookie(headers, cookieName);
                case SUBPROTOCOL -> fromSubprotocol(headers);
            };
            if (found == null || found.isEmpty()) {
                continue;
            }
            foundIn.add(source);
            if (token == null) {
                token = found;
            } else if (!token.equals(found)) {
                ambiguous = true;
            }
        }
        return new BearerToken(token, ambiguous, foundIn);
    }

    private static String fromHeader(HttpHeaders headers) {
        for (String value : headers.getOrEmpty(HttpHeaders.AUTHORIZATION)) {
            if (value.length() > BEARER.length()
                    && value.substring(0, BEARER.length())
                            .toLowerCase(Locale.ROOT)
                            .equals(BEARER)) {
                return value.substring(BEARER.length()).trim();
            }
        }
        return null;
    }

    private static String fromQuery(URI uri) {
        String query = uri.getRawQuery();
        if (query == null) {
            return null;
        }
        for (String parameter : query.split("&")) {
            int eq = parameter.indexOf('=');
            if (eq > 0 && QUERY_PARAMETER.equals(decode(parameter.substring(0, eq)))) {
                return decode(parameter.substring(eq + 1));
            }
        }
        return null;
    }

    private static String fromCookie(HttpHeaders headers, String cookieName) {
        for (String header : headers.getOrEmpty(HttpHeaders.COOKIE)) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(cookieName)) {
                    return pair.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }

    private static String fromSubprotocol(HttpHeaders headers) {
        for (String protocol : protocols(headers)) {
            if (isBearerProtocol(protocol)) {
                return protocol.substring(SUBPROTOCOL_PREFIX.length());
            }
        }
        return null;
    }

    private static boolean isBearerProtocol(String protocol) {
        return protocol.length() > SUBPROTOCOL_PREFIX.length()
                && protocol.substring(0, SUBPROTOCOL_PREFIX.length())
                        .toLowerCase(Locale.ROOT)
                        .equals(SUBPROTOCOL_PREFIX);
    }

    private static List<String> protocols(HttpHeaders headers) {
        List<String> protocols = new ArrayList<>();
        for (String value : headers.getOrEmpty(SEC_WEBSOCKET_PROTOCOL)) {
            protocols.addAll(List.of(StringUtils.tokenizeToStringArray(value, ",")));
        }
        return protocols;
    }

    /** Removes every {@code bearer.*} subprotocol entry: a token never goes to the backend as one, nor is selected. */
    static void removeSubprotocolEntries(HttpHeaders headers) {
        List<String> protocols = protocols(headers);
        List<String> kept = protocols.stream()
                .filter(protocol -> !isBearerProtocol(protocol))
                .toList();
        if (kept.size() == protocols.size()) {
            return;
        }
        headers.remove(SEC_WEBSOCKET_PROTOCOL);
        if (!kept.isEmpty()) {
            headers.set(SEC_WEBSOCKET_PROTOCOL, String.join(", ", kept));
        }
    }

    /** Removes {@code Authorization: Bearer ...}; another scheme (Basic for the backend, say) stays. */
    static void removeHeader(HttpHeaders headers) {
        List<String> kept = headers.getOrEmpty(HttpHeaders.AUTHORIZATION).stream()
                .filter(value -> !value.toLowerCase(Locale.ROOT).startsWith(BEARER))
                .toList();
        headers.remove(HttpHeaders.AUTHORIZATION);
        if (!kept.isEmpty()) {
            headers.addAll(HttpHeaders.AUTHORIZATION, kept);
        }
    }

    /** Removes the token's cookie from the {@code Cookie} header, keeping the others. */
    static void removeCookie(HttpHeaders headers, String cookieName) {
        List<String> kept = new ArrayList<>();
        for (String header : headers.getOrEmpty(HttpHeaders.COOKIE)) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                String name = eq > 0 ? pair.substring(0, eq).trim() : pair.trim();
                if (!name.isEmpty() && !name.equals(cookieName)) {
                    kept.add(pair.trim());
                }
            }
        }
        headers.remove(HttpHeaders.COOKIE);
        if (!kept.isEmpty()) {
            headers.set(HttpHeaders.COOKIE, String.join("; ", kept));
        }
    }

    /** {@code uri} without its {@code access_token} parameters, the rest of the query as it was; null if it had none. */
    static URI withoutQueryToken(URI uri) {
        String query = uri.getRawQuery();
        if (query == null) {
            return null;
        }
        List<String> kept = new ArrayList<>();
        boolean removed = false;
        for (String parameter : query.split("&")) {
            int eq = parameter.indexOf('=');
            String name = decode(eq >= 0 ? parameter.substring(0, eq) : parameter);
            if (QUERY_PARAMETER.equals(name)) {
                removed = true;
            } else if (!parameter.isEmpty()) {
                kept.add(parameter);
            }
        }
        if (!removed) {
            return null;
        }
        return QueryTokenRedaction.withRawQuery(uri, kept.isEmpty() ? null : String.join("&", kept));
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException ex) {
            return text;
        }
    }
}
