package io.wsgate.auth;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;

/**
 * Keeps the {@code access_token} query parameter out of every URL that a log line could print. At the very entrance
 * (before Spring's {@code HttpWebHandlerAdapter} logs {@code HTTP GET "/chat?..."}, before the gateway's route
 * matching logs the exchange) each request whose query carries {@code access_token} continues with that parameter's
 * value replaced by {@value #REDACTED}. The client's query is held aside, keyed by the native request, which route
 * filters that rebuild the request keep, until {@link HandshakeAuthFilter} takes it: it reads the token from it and
 * puts the client's value back into the backend's URI where the token is not stripped (routes without
 * {@code auth: jwt}, {@code auth-keep-token}, routes that do not take the query). Reactor Netty's access log, which
 * reads the request line itself, gets the same redaction ({@code AuthConfiguration#redactingAccessLog}).
 */
final class QueryTokenRedaction implements HttpHandlerDecoratorFactory {

    /** The value every log and every filter before the backend's URI sees for {@code access_token}. */
    static final String REDACTED = "redacted";

    // Identity: a native request does not define equals; entries live from the entrance to the token's filter.
    private final Map<Object, String> clientQueries = Collections.synchronizedMap(new IdentityHashMap<>());

    @Override
    public HttpHandler apply(HttpHandler handler) {
        return (request, response) -> {
            URI uri = request.getURI();
            URI redacted = redact(uri);
            if (redacted == null) {
                return handler.handle(request, response);
            }
            Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
            this.clientQueries.put(nativeRequest, uri.getRawQuery());
            ServerHttpRequest shown = new ServerHttpRequestDecorator(request) {
                @Override
                public URI getURI() {
                    return redacted;
                }
            };
            return handler.handle(shown, response).doFinally(signal -> this.clientQueries.remove(nativeRequest));
        };
    }

    /**
     * The client's raw query if it carried {@code access_token}, removed from this holder (a session keeps no copy);
     * null otherwise or when already taken.
     */
    String takeClientQuery(ServerHttpRequest request) {
        return this.clientQueries.remove(ServerHttpRequestDecorator.getNativeRequest(request));
    }

    /** {@code uri} with each {@code access_token} value replaced by {@value #REDACTED}; null if it has none. */
    static URI redact(URI uri) {
        String query = uri.getRawQuery();
        String redacted = query != null ? redactQuery(query) : null;
        if (redacted == null) {
            return null;
        }
        return withRawQuery(uri, redacted);
    }

    /** A request target ({@code /path?query}) as logs may show it; unchanged without {@code access_token}. */
    static String redact(CharSequence target) {
        if (target == null) {
            return null;
        }
        String text = target.toString();
        int question = text.indexOf('?');
        if (question < 0) {
            return text;
        }
        String redacted = redactQuery(text.substring(question + 1));
        return redacted != null ? text.substring(0, question + 1) + redacted : text;
    }

    /** The query with each {@code access_token} value replaced; null if it has none. */
    private static String redactQuery(String query) {
        List<String> parameters = new ArrayList<>();
        boolean found = false;
        for (String parameter : query.split("&", -1)) {
            int eq = parameter.indexOf('=');
            if (eq > 0 && isToken(parameter.substring(0, eq))) {
                parameters.add(parameter.substring(0, eq + 1) + REDACTED);
                found = true;
            } else {
                parameters.add(parameter);
            }
        }
        return found ? String.join("&", parameters) : null;
    }

    /**
     * {@code uri} (a backend URI built from the redacted request) with the client's {@code access_token} parameters
     * back in place of the redacted ones, in order; the rest of its query as it is.
     */
    static URI restore(URI uri, String clientQuery) {
        String query = uri.getRawQuery();
        if (query == null || clientQuery == null) {
            return uri;
        }
        Deque<String> tokens = new ArrayDeque<>();
        for (String parameter : clientQuery.split("&")) {
            int eq = parameter.indexOf('=');
            if (eq > 0 && isToken(parameter.substring(0, eq))) {
                tokens.add(parameter);
            }
        }
        List<String> parameters = new ArrayList<>();
        boolean changed = false;
        for (String parameter : query.split("&", -1)) {
            int eq = parameter.indexOf('=');
            if (eq > 0 && isToken(parameter.substring(0, eq)) && !tokens.isEmpty()) {
                parameters.add(tokens.poll());
                changed = true;
            } else {
                parameters.add(parameter);
            }
        }
        if (!changed) {
            return uri;
        }
        return withRawQuery(uri, String.join("&", parameters));
    }

    /**
     * {@code uri} with {@code rawQuery} (null: none) as it is. Not {@code UriComponentsBuilder.replaceQuery}, which
     * groups repeated parameter names and so reorders {@code a=1&b=2&a=3}.
     */
    static URI withRawQuery(URI uri, String rawQuery) {
        String text = uri.toString();
        int end = text.indexOf('?');
        if (end < 0) {
            end = text.indexOf('#') >= 0 ? text.indexOf('#') : text.length();
        }
        StringBuilder built = new StringBuilder(text.substring(0, end));
        if (rawQuery != null) {
            built.append('?').append(rawQuery);
        }
        if (uri.getRawFragment() != null) {
            built.append('#').append(uri.getRawFragment());
        }
        return URI.create(built.toString());
    }

    private static boolean isToken(String rawName) {
        if (rawName.equals(BearerToken.QUERY_PARAMETER)) {
            return true;
        }
        try {
            return URLDecoder.decode(rawName, StandardCharsets.UTF_8).equals(BearerToken.QUERY_PARAMETER);
        } catch (IllegalArgumentException ex) {
            return false;
        }
    }
}
