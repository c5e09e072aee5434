package io.wsgate.health;

import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * Checks one backend the way the relay uses it: a real WebSocket handshake, closed at once with 1000. A
 * backend that answers anything but 101, refuses the connection or does not answer in time is down.
 */
class BackendProbe {

    private final HttpClient httpClient;

    private final Duration timeout;

    BackendProbe(Duration timeout) {
        this.timeout = timeout;
        this.httpClient = HttpClient.create()
                .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(timeout.toMillis()));
    }

    Mono<BackendCheck> check(URI backend) {
        HttpClient client = "wss".equalsIgnoreCase(backend.getScheme()) ? this.httpClient.secure() : this.httpClient;
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return client.websocket()
                    .uri(backend)
                    .handle((in, out) -> out.sendClose(1000, "wsgate health probe"))
                    .then(Mono.fromSupplier(() -> BackendCheck.up(backend, elapsed(start), Instant.now())))
                    .timeout(this.timeout)
                    .onErrorResume(
                            ex -> Mono.just(BackendCheck.down(backend, elapsed(start), Instant.now(), describe(ex))));
        });
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private String describe(Throwable ex) {
        if (ex instanceof WebSocketClientHandshakeException refused && refused.response() != null) {
            return "handshake refused with " + refused.response().status().code();
        }
        if (ex instanceof TimeoutException) {
            return "no handshake answer within " + this.timeout.toMillis() + "ms";
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
