package io.wsgate.echo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The page at {@code GET /} for trying the gateway in a browser: connect to a path (the echo by default), send, see
 * the answers and how the connection ended. One HTML file with its script and style inline, nothing from the
 * network; its Content-Security-Policy allows exactly that script and style (by hash) and WebSocket connections to
 * this origin.
 */
final class TryItPage {

    private static final String LOCATION = "echo/try-it.html";

    private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);

    private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

    private final String html;

    private final String contentSecurityPolicy;

    private TryItPage(String html) {
        this.html = html;
        // 'self' covers ws: and wss: of the page's own host and port (CSP Level 3). data: is the empty favicon.
        this.contentSecurityPolicy = "default-src 'none'; script-src " + hashOf(SCRIPT, html) + "; style-src "
                + hashOf(STYLE, html) + "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
                + "frame-ancestors 'none'";
    }

    static TryItPage load() {
        try (InputStream in = new ClassPathResource(LOCATION).getInputStream()) {
            return new TryItPage(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read " + LOCATION, ex);
        }
    }

    String contentSecurityPolicy() {
        return this.contentSecurityPolicy;
    }

    /**
     * {@code GET /}, except a WebSocket upgrade to {@code /}, which stays the gateway's (and gets its 404 when no
     * route takes it).
     */
    RouterFunction<ServerResponse> route() {
        return RouterFunctions.route(
                RequestPredicates.GET("/")
                        .and(request -> !request.headers().header(HttpHeaders.UPGRADE).stream()
                                .anyMatch("websocket"::equalsIgnoreCase)),
                request -> ServerResponse.ok()
                        .contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8))
                        .header("Content-Security-Policy", this.contentSecurityPolicy)
                        .header("X-Content-Type-Options", "nosniff")
                        .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                        .bodyValue(this.html));
    }

    private static String hashOf(Pattern element, String html) {
        Matcher matcher = element.matcher(html);
        if (!matcher.find()) {
            throw new IllegalStateException(LOCATION + " has no " + element.pattern());
        }
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(matcher.group(1).getBytes(StandardCharsets.UTF_8));
            return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
