package io.wsgate;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * The container image's AOT-cache training run (the Dockerfile's {@code -XX:AOTCacheOutput} line, which
 * deploy/image/layout.sh runs too): starts the gateway with its default routes, drives handshakes and messages through
 * {@code /ws/} to the bundled echo and reads the management endpoints a deployment polls, then stops. The JDK stores
 * the classes this loaded and linked and, since JDK 25 (JEP 515), the method profiles of the code that ran, so a
 * fresh container compiles its handshake and relay paths from the first connections instead of after minutes of
 * traffic. Stopping as soon as the context was up recorded the start-up only.
 *
 * <pre>java -XX:AOTCacheOutput=wsgate.aot -cp application.jar io.wsgate.AotTraining</pre>
 *
 * Exit status 0 when every session got its replies, else 1: a training run that could not relay must fail the build
 * rather than ship a cache of the start-up alone.
 */
public final class AotTraining {

    /** Sessions opened one after another, 20 at a time: the handshake path, as a rolling deploy's reconnects run it. */
    static final int HANDSHAKES = 3_000;

    static final int CONCURRENT_HANDSHAKES = 20;

    /** Long sessions that each relay this many small and large messages: the relay path. */
    static final int STREAMS = 20;

    static final int MESSAGES_PER_STREAM = 500;

    static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** One session or management request of the training; past it the training fails naming it. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private static final String SMALL = "hello, martian!!!! aot training";

    private static final byte[] LARGE = new byte[16 * 1024];

    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        int port = freePort();
        int management = freePort();
        String[] appArgs = Stream.concat(
                        Arrays.stream(args),
                        Stream.of("--server.port=" + port, "--management.server.port=" + management))
                .toArray(String[]::new);
        ConfigurableApplicationContext context = SpringApplication.run(WsgateApplication.class, appArgs);
        boolean relayed = false;
        try {
            drive(port, management);
            relayed = true;
        } catch (RuntimeException ex) {
            System.err.println("AOT training: FAILED: " + ex);
        }
        int status = SpringApplication.exit(context);
        System.exit(relayed ? status : 1);
    }

    static void drive(int port, int management) {
        HttpClient client = HttpClient.create().baseUrl("http://127.0.0.1:" + port);
        Flux.range(0, HANDSHAKES)
                .flatMap(i -> session(client, "/ws/aot-training/" + i, 1), CONCURRENT_HANDSHAKES)
                .then()
                .block(TIMEOUT);
        Flux.range(0, STREAMS)
                .flatMap(i -> session(client, "/ws/aot-training/stream", MESSAGES_PER_STREAM))
                .then()
                .block(TIMEOUT);
        HttpClient managementClient = HttpClient.create().baseUrl("http://127.0.0.1:" + management);
        Flux.range(0, 20)
                .concatMap(i -> Flux.just("/readyz", "/livez", "/actuator/prometheus", "/actuator/health")
                        .concatMap(path -> managementClient
                                .get()
                                .uri(path)
                                .responseSingle((response, body) -> body.then(Mono.just(response.status())))
                                // A request that hangs names itself rather than the whole step's timeout.
                                .timeout(
                                        REQUEST_TIMEOUT,
                                        Mono.error(() -> new IllegalStateException("no answer to GET " + path
                                                + " on the management port within " + REQUEST_TIMEOUT)))))
                .then()
                .block(TIMEOUT);
    }

    /** One session that sends {@code messages} messages (text, every tenth a 16 KiB binary), awaits each reply, closes. */
    private static Mono<Void> session(HttpClient client, String path, int messages) {
        return client.websocket()
                .uri(path)
                .handle((in, out) -> exchange(in, out, messages))
                .then()
                .timeout(
                        REQUEST_TIMEOUT,
                        Mono.error(() -> new IllegalStateException(
                                "session " + path + " did not end within " + REQUEST_TIMEOUT)));
    }

    private static Mono<Void> exchange(WebsocketInbound in, WebsocketOutbound out, int messages) {
        Flux<WebSocketFrame> frames = Flux.range(0, messages)
                .map(i -> i % 10 == 9
                        ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(LARGE))
                        : new TextWebSocketFrame(Unpooled.copiedBuffer(SMALL, StandardCharsets.UTF_8)));
        // Read while sending: a client that read only after sending would stall on the gateway's backpressure.
        Mono<Long> replies = in.receiveFrames().take(messages).count();
        return Mono.zip(out.sendObject(frames).then().thenReturn(messages), replies)
                .flatMap(sentAndReplies -> sentAndReplies.getT2() == messages
                        ? out.sendClose(1000, "").then()
                        : Mono.error(new IllegalStateException(
                                sentAndReplies.getT2() + " replies to " + messages + " messages")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
