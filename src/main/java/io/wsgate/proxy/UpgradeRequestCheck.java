package io.wsgate.proxy;

import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Checks a request to a WebSocket route before any backend is contacted, so an invalid upgrade costs the
 * backend nothing and the client learns what was wrong (RFC 6455 section 4.2.1).
 */
public final class UpgradeRequestCheck {

    static final String SEC_WEBSOCKET_KEY = "Sec-WebSocket-Key";

    static final String SEC_WEBSOCKET_VERSION = "Sec-WebSocket-Version";

    static final String SUPPORTED_VERSION = "13";

    private static final int KEY_LENGTH = 16;

    private UpgradeRequestCheck() {}

    public static boolean isUpgrade(HttpHeaders headers) {
        return "websocket".equalsIgnoreCase(headers.getUpgrade());
    }

    /** The reason to refuse this request, or {@code null} for a valid upgrade. */
    static HandshakeRejection check(ServerHttpRequest request) {
        HttpHeaders headers = request.getHeaders();
        if (!isUpgrade(headers)) {
            return HandshakeRejection.upgradeRequired(
                    "This route speaks WebSocket only: send an Upgrade: websocket request");
        }
        if (request.getMethod() != HttpMethod.GET) {
            HandshakeRejection rejection = HandshakeRejection.of(
                    HttpStatus.METHOD_NOT_ALLOWED, "A WebSocket upgrade must be a GET, not " + request.getMethod());
            rejection.headers().setAllow(Set.of(HttpMethod.GET));
            return rejection;
        }
        if (ServerHttpRequestDecorator.getNativeRequest(request) instanceof HttpServerRequest nettyRequest
                && !nettyRequest.version().isKeepAliveDefault()) {
            // RFC 6455 section 4.1: HTTP/1.1 at least (HTTP/1.0 is the one version that is not keep-alive by default).
            return HandshakeRejection.of(HttpStatus.BAD_REQUEST, "A WebSocket upgrade needs HTTP/1.1");
        }
        if (headers.getContentLength() > 0 || headers.containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
            // The bytes after the head belong to the WebSocket: a body would be read as frames (smuggling).
            return HandshakeRejection.of(HttpStatus.BAD_REQUEST, "A WebSocket upgrade must not have a body");
        }
        if (!hasUpgradeToken(headers.getConnection())) {
            return HandshakeRejection.of(HttpStatus.BAD_REQUEST, "The Connection header must include 'Upgrade'");
        }
        String version = headers.getFirst(SEC_WEBSOCKET_VERSION);
        if (!SUPPORTED_VERSION.equals(version == null ? null : version.trim())) {
            return HandshakeRejection.upgradeRequired("Unsupported Sec-WebSocket-Version " + version + ": use 13");
        }
        List<String> keys = headers.getOrEmpty(SEC_WEBSOCKET_KEY);
        if (keys.size() != 1 || !isValidKey(keys.get(0))) {
            return HandshakeRejection.of(
                    HttpStatus.BAD_REQUEST, "Sec-WebSocket-Key must be one base64-encoded 16-byte value");
        }
        return null;
    }

    private static boolean hasUpgradeToken(List<String> connection) {
        return connection.stream().anyMatch(token -> token.trim().equalsIgnoreCase("upgrade"));
    }

    private static boolean isValidKey(String key) {
        try {
            return Base64.getDecoder().decode(key.trim()).length == KEY_LENGTH;
        } catch (IllegalArgumentException ex) {
            return false;
        }
    }
}
