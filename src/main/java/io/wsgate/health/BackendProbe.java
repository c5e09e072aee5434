package io.wsgate.health;

import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * Checks one backend the way the relay uses it: a real WebSocket handshake offering no subprotocol, closed at once
 * with 1000. A backend that answers anything but 101, refuses the connection or does not answer in time is down;
 * so is one whose 101 selects a subprotocol (a client offering none would get a 502 from the relay).
 */
class BackendProbe {

    private final HttpClient httpClient;

    private final Duration timeout;

    /**
     * Probes with the gateway's own client, so {@code wss://} backends are checked with the trust the relay uses
     * ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.*}); Reactor Netty applies its default TLS to
     * {@code wss://} when none is configured.
     */
    BackendProbe(HttpClient gatewayHttpClient, Duration timeout) {
        this.timeout = timeout;
        this.httpClient = gatewayHttpClient.option(
                io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(timeout.toMillis()));
    }

    Mono<BackendCheck> check(URI backend) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return this.httpClient
                    .websocket()
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
            int status = refused.response().status().code();
            // A 101 Netty refused: a subprotocol selected though the probe offers none, a wrong accept key...
            return status == 101
                    ? "invalid handshake answer: " + refused.getMessage()
                    : "handshake refused with " + status;
        }
        if (ex instanceof TimeoutException) {
            return "no handshake answer within " + this.timeout.toMillis() + "ms";
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
