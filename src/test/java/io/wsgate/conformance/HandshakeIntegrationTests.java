package io.wsgate.conformance;

import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Bad input at the handshake, sent as raw bytes: every malformed, smuggling or abusive upgrade gets a clear
 * HTTP status and is counted (under its route, or {@code route=none} when the HTTP server refused it before
 * routing), a half-open handshake is cut off within the header timeout,
 * and other clients are served all the while.
 */
@GatewayTest(properties = {"wsgate.handshake.header-timeout=2s", "wsgate.health.enabled=false"})
class HandshakeIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("handshake", "ws://127.0.0.1:" + backend.port(), "/hs/**");
    }

    /**
     * One bad upgrade per row: the request, the status it must get, and whether it reaches the route (counted
     * there as {@code reason=bad-request}) or is refused by the HTTP server before any route is chosen.
     */
    static Stream<Arguments> badUpgrades() {
        return Stream.of(
                bad("version 8 (an old draft)", 426, true, upgrade().set("Sec-WebSocket-Version: 8")),
                bad("no Sec-WebSocket-Version", 426, true, upgrade().remove("Sec-WebSocket-Version")),
                bad("two versions in one header", 426, true, upgrade().set("Sec-WebSocket-Version: 13, 8")),
                bad("no Sec-WebSocket-Key", 400, true, upgrade().remove("Sec-WebSocket-Key")),
                bad("key not base64", 400, true, upgrade().set("Sec-WebSocket-Key: not*base64!")),
                bad("key of 15 bytes", 400, true, upgrade().set("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA")),
                bad("two keys", 400, true, upgrade().add("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==")),
                bad(
                        "POST",
                        405,
                        true,
                        upgrade().requestLine("POST /hs/ HTTP/1.1").add("Content-Length: 0")),
                bad("no Connection: Upgrade", 400, true, upgrade().remove("Connection")),
                bad(
                        "Connection names X-Forwarded-For, not Upgrade",
                        400,
                        true,
                        upgrade().set("Connection: X-Forwarded-For").add("X-Forwarded-For: 10.0.0.1")),
                bad(
                        "Upgrade: h2c on a WebSocket route",
                        426,
                        true,
                        upgrade()
                                .set("Connection: Upgrade, HTTP2-Settings")
                                .set("Upgrade: h2c")
                                .add("HTTP2-Settings: AAMAAABkAAQAAP__")),
                bad(
                        "body on the upgrade (Content-Length: 5)",
                        400,
                        true,
                        upgrade().add("Content-Length: 5").body("hello")),
                bad(
                        "chunked body on the upgrade",
                        400,
                        true,
                        upgrade().add("Transfer-Encoding: chunked").body("5\r\nhello\r\n0\r\n\r\n")),
                bad(
                        "Content-Length and Transfer-Encoding together",
                        400,
                        false,
                        upgrade()
                                .add("Content-Length: 4")
                                .add("Transfer-Encoding: chunked")
                                .body("0\r\n\r\n")),
                bad(
                        "two different Content-Lengths",
                        400,
                        false,
                        upgrade()
                                .add("Content-Length: 0")
                                .add("Content-Length: 5")
                                .body("hello")),
                bad("space before the colon of a header", 400, false, upgrade().add("X-Spaced : x")),
                bad("headers of 20 KiB", 431, false, upgrade().add("X-Padding: " + "a".repeat(20 * 1024))),
                bad(
                        "URI of 10 KiB",
                        414,
                        false,
                        upgrade().requestLine("GET /hs/" + "a".repeat(10 * 1024) + " HTTP/1.1")),
                bad("HTTP/1.0 upgrade", 400, true, upgrade().requestLine("GET /hs/ HTTP/1.0")),
                Arguments.of(
                        "not HTTP at all (a TLS ClientHello)",
                        400,
                        false,
                        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n"));
    }

    private static Arguments bad(String name, int status, boolean reachesRoute, UpgradeRequest request) {
        return Arguments.of(name, status, reachesRoute, request.toString());
    }

    /** A valid upgrade for {@code /hs/} to spoil one header at a time. */
    private static UpgradeRequest upgrade() {
        return new UpgradeRequest(RawHttp.upgradeRequest("/hs/"));
    }

    /** A hand-written request: the request line, headers in order, and an optional body. */
    private static final class UpgradeRequest {

        private final List<String> lines;

        private String body = "";

        UpgradeRequest(String[] lines) {
            this.lines = new ArrayList<>(List.of(lines));
        }

        UpgradeRequest requestLine(String line) {
            this.lines.set(0, line);
            return this;
        }

        /** Replaces the header of the same name. */
        UpgradeRequest set(String header) {
            String name = header.substring(0, header.indexOf(':'));
            remove(name);
            return add(header);
        }

        UpgradeRequest add(String header) {
            this.lines.add(header);
            return this;
        }

        UpgradeRequest remove(String name) {
            this.lines.removeIf(line -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1));
            return this;
        }

        UpgradeRequest body(String body) {
            this.body = body;
            return this;
        }

        @Override
        public String toString() {
            return String.join("\r\n", this.lines) + "\r\n\r\n" + this.body;
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("badUpgrades")
    void badUpgradeGetsAClearStatus(String name, int status, boolean reachesRoute, String request) throws IOException {
        // Refused by the HTTP server, a request is counted with route=none: no route was chosen.
        String route = reachesRoute ? "handshake" : WebSocketMetrics.NO_ROUTE;
        double before = rejected(route, "bad-request", status);
        RawHttp.Response response = send(request);
        assertThat(response.status()).as(name).isEqualTo(status);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(rejected(route, "bad-request", status))
                        .as("wsgate_handshakes_rejected_total{route=%s,reason=bad-request,status=%d}", route, status)
                        .isEqualTo(before + 1));
        assertThat(backend.openSessions()).isZero();
    }

    @Test
    void hopByHopHeadersNamedInConnectionDoNotReachTheBackend() throws IOException {
        String tag = "hop-" + UUID.randomUUID();
        RawHttp.Response response = RawHttp.exchange(
                this.port,
                "GET /hs/?t=" + tag + " HTTP/1.1",
                "Host: localhost",
                "Connection: Upgrade, X-Secret-Hop",
                "X-Secret-Hop: do-not-forward",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                "Sec-WebSocket-Version: 13");
        assertThat(response.status()).isEqualTo(101);
        assertThat(backend.session(tag).handshake().get("X-Secret-Hop")).isNull();
    }

    @Test
    void connectionCloseBesideUpgradeStillUpgrades() throws IOException {
        String tag = "close-upgrade-" + UUID.randomUUID();
        RawHttp.Response response = RawHttp.exchange(
                this.port,
                "GET /hs/?t=" + tag + " HTTP/1.1",
                "Host: localhost",
                "Connection: close, Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                "Sec-WebSocket-Version: 13");
        assertThat(response.status()).isEqualTo(101);
    }

    /**
     * Slowloris: many connections send a handshake one byte at a time and never finish. Each is answered 408
     * and closed once the header timeout has passed, and a real client is served meanwhile.
     */
    @Test
    void halfOpenHandshakesAreCutOffWhileOthersAreServed() throws Exception {
        int count = 200;
        byte[] head = String.join("\r\n", RawHttp.upgradeRequest("/hs/")).getBytes(StandardCharsets.ISO_8859_1);
        List<Socket> slow = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < count; i++) {
                Socket socket = new Socket("127.0.0.1", this.port);
                socket.setSoTimeout(30_000);
                slow.add(socket);
            }
            int[] sent = {0};
            trickle.scheduleAtFixedRate(
                    () -> {
                        if (sent[0] >= head.length) {
                            return;
                        }
                        for (Socket socket : slow) {
                            try {
                                socket.getOutputStream().write(head[sent[0]]);
                            } catch (IOException closed) {
                                // Cut off by the gateway: the point of the test.
                            }
                        }
                        sent[0]++;
                    },
                    0,
                    200,
                    TimeUnit.MILLISECONDS);

            String reply = JdkWebSocketClient.replyTo(wsUri(this.port, "/hs/"), "served during the flood");
            assertThat(reply).isEqualTo("served during the flood");

            for (Socket socket : slow) {
                assertThat(statusOrEnd(socket.getInputStream())).isEqualTo(408);
            }
        } finally {
            trickle.shutdownNow();
            for (Socket socket : slow) {
                socket.close();
            }
        }
        assertThat(rejected(WebSocketMetrics.NO_ROUTE, "header-timeout", 408)).isGreaterThanOrEqualTo(count);
    }

    @Test
    void keepAliveConnectionIdleBeyondTheHeaderTimeoutIsClosedQuietly() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", this.port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream()
                    .write("GET /hs/ HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            RawHttp.Response response = RawHttp.readHead(in);
            assertThat(response.status()).isEqualTo(426);
            in.readNBytes(Integer.parseInt(response.header("Content-Length")));
            // No second request: after the header timeout the connection ends, without an unasked-for response.
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    /** The status of the response on {@code in}, or -1 if the connection ended without one. */
    private static int statusOrEnd(InputStream in) throws IOException {
        try {
            byte[] line = new byte[12];
            int read = in.readNBytes(line, 0, 12);
            if (read < 12) {
                return -1;
            }
            return Integer.parseInt(new String(line, 9, 3, StandardCharsets.ISO_8859_1));
        } catch (SocketTimeoutException ex) {
            throw new AssertionError("a half-open handshake was still open after 30 s", ex);
        }
    }

    private RawHttp.Response send(String raw) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", this.port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return RawHttp.readHead(socket.getInputStream());
        }
    }

    private double rejected(String route, String reason, int status) {
        Counter counter = this.registry
                .find(WsgateMeterNames.HANDSHAKES_REJECTED)
                .tags("route", route, "reason", reason, "status", Integer.toString(status))
                .counter();
        return counter != null ? counter.count() : 0;
    }
}
