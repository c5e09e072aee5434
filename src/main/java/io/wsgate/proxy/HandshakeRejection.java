package io.wsgate.proxy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Mono;

/**
 * Why a WebSocket handshake was answered with an HTTP error instead of 101: the status, the headers that
 * tell the client what to do next, and a one-line reason for the body and the log.
 */
public record HandshakeRejection(HttpStatusCode status, String reason, HttpHeaders headers) {

    public static HandshakeRejection of(HttpStatusCode status, String reason) {
        return new HandshakeRejection(status, reason, new HttpHeaders());
    }

    /** 426 with the version this gateway speaks, as RFC 6455 section 4.4 asks. */
    static HandshakeRejection upgradeRequired(String reason) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.UPGRADE, "websocket");
        headers.set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE);
        headers.set(UpgradeRequestCheck.SEC_WEBSOCKET_VERSION, UpgradeRequestCheck.SUPPORTED_VERSION);
        return new HandshakeRejection(HttpStatus.UPGRADE_REQUIRED, reason, headers);
    }

    /**
     * {@code Retry-After} in whole seconds, rounded up: the header has no fractions, and 0 would invite an instant
     * retry.
     */
    public static String retryAfterSeconds(Duration retryAfter) {
        return Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000));
    }

    public Mono<Void> writeTo(ServerHttpResponse response) {
        response.setStatusCode(this.status);
        response.getHeaders().addAll(this.headers);
        response.getHeaders().setContentType(MediaType.TEXT_PLAIN);
        DataBuffer body = response.bufferFactory().wrap((this.reason + "\n").getBytes(StandardCharsets.UTF_8));
        return response.writeWith(Mono.just(body));
    }
}
