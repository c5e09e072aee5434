package io.wsgate.conformance;

import static io.wsgate.conformance.ConformanceCase.ascii;
import static io.wsgate.conformance.ConformanceCase.binary;
import static io.wsgate.conformance.ConformanceCase.bytes;
import static io.wsgate.conformance.ConformanceCase.closes;
import static io.wsgate.conformance.ConformanceCase.fails;
import static io.wsgate.conformance.ConformanceCase.hex;
import static io.wsgate.conformance.ConformanceCase.pong;
import static io.wsgate.conformance.ConformanceCase.relays;
import static io.wsgate.conformance.ConformanceCase.text;
import static io.wsgate.conformance.ConformanceCase.utf8;
import static io.wsgate.support.RawWebSocket.BINARY;
import static io.wsgate.support.RawWebSocket.CLOSE;
import static io.wsgate.support.RawWebSocket.CONTINUATION;
import static io.wsgate.support.RawWebSocket.PING;
import static io.wsgate.support.RawWebSocket.PONG;
import static io.wsgate.support.RawWebSocket.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Autobahn|Testsuite categories through the gateway, spoken in raw frames: valid traffic must reach the
 * backend and come back exactly, invalid traffic must get the close code RFC 6455 prescribes, and the backend
 * leg must end with a close frame in every case. The backend is {@link ScriptedBackend}, which echoes, answers
 * pings with {@code backend:} + payload and records what it received and how it was closed.
 */
@GatewayTest
class ConformanceIntegrationTests {

    /** The gateway's largest message: {@code ...httpclient.websocket.max-frame-payload-length} in application.yml. */
    static final int LIMIT = 1024 * 1024;

    private static final String WARM_UP = "warm-up";

    @Backend
    static ScriptedBackend backend;

    private static JavaProcess gatewayProcess;

    private static int gatewayProcessPort;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("conformance", "ws://127.0.0.1:" + backend.port(), "/conformance/**");
    }

    @AfterAll
    static void stopGatewayProcess() {
        if (gatewayProcess != null) {
            gatewayProcess.close();
        }
    }

    /**
     * The gateway as its own process, on its default route (/ws/ to the bundled echo): there both legs of a session share
     * an event loop, as in production. (Inside this test's JVM they never do: the test server has loops of its own.)
     */
    private static synchronized int gatewayProcessPort() {
        if (gatewayProcess == null) {
            gatewayProcessPort = FreePorts.next();
            gatewayProcess = JavaProcess.wsgate(
                            "conformance-gateway",
                            List.of(),
                            "--server.port=" + gatewayProcessPort,
                            "--management.server.port=" + FreePorts.next())
                    .awaitStarted();
        }
        return gatewayProcessPort;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void caseThroughTheGateway(ConformanceCase conformanceCase) {
        run(conformanceCase, false);
    }

    /**
     * The same cases after the session has carried a round trip: a gateway that answers right only on the first frame
     * after the 101 (when no relay stream is running yet) fails here.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void caseAfterTraffic(ConformanceCase conformanceCase) {
        run(conformanceCase, true);
    }

    /**
     * Every case the gateway fails, on a gateway process's default route to the bundled echo, right after the 101 and
     * after a round trip. Both legs of such a session share an event loop, so Reactor Netty's own reactions to a
     * closing leg run at once, ahead of anything scheduled: the client must still get the code RFC 6455 names, never
     * an empty close frame (which it did on ef5df79, every time).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("violations")
    void violationThroughTheBundledEcho(ConformanceCase c) {
        for (boolean afterTraffic : new boolean[] {false, true}) {
            try (RawWebSocket ws = RawWebSocket.connect(gatewayProcessPort(), "/ws/")) {
                assertThat(ws.handshake().status()).as("handshake").isEqualTo(101);
                if (afterTraffic) {
                    ws.sendText("hello");
                    assertThat(ws.readFrame().text()).as("warm-up round trip").isEqualTo("HELLO");
                }
                CompletableFuture<Void> sent =
                        CompletableFuture.runAsync(() -> c.send().accept(ws));
                RawWebSocket.Frame close = ws.readFrame();
                while (close.opcode() != CLOSE) {
                    close = ws.readFrame();
                }
                assertThat(close.closeCode())
                        .as("close code after traffic: %s, reason '%s'", afterTraffic, close.closeReason())
                        .isEqualTo(c.closeCode());
                sent.handle((done, ex) -> null).orTimeout(30, TimeUnit.SECONDS).join();
                try {
                    ws.sendClose(close.closeCode(), "");
                } catch (UncheckedIOException ex) {
                    // Already reset: nothing to answer.
                }
                assertThat(ws.awaitEndOfStream())
                        .as("the gateway ends the TCP connection")
                        .isTrue();
            }
        }
    }

    static Stream<ConformanceCase> allCases() {
        return Stream.of(
                        echo(),
                        pingPong(),
                        reservedBits(),
                        opcodes(),
                        fragmentation(),
                        utf8Handling(),
                        closeHandling(),
                        largeMessages(),
                        masking())
                .flatMap(cases -> cases);
    }

    static Stream<ConformanceCase> violations() {
        return Stream.of(reservedBits(), opcodes(), fragmentation(), utf8Handling(), closeHandling(), masking())
                .flatMap(cases -> cases)
                .filter(ConformanceCase::gatewayFails);
    }

    private void run(ConformanceCase c, String... handshakeHeaders) {
        run(c, false, handshakeHeaders);
    }

    private void run(ConformanceCase c, boolean afterTraffic, String... handshakeHeaders) {
        String tag = c.id().replaceAll("[^0-9A-Za-z]", "_") + "-" + UUID.randomUUID();
        double failedBefore = failedByGateway(c.closeCode());
        try (RawWebSocket ws = RawWebSocket.connect(this.port, "/conformance/?t=" + tag, handshakeHeaders)) {
            assertThat(ws.handshake().status()).as("handshake").isEqualTo(101);
            if (afterTraffic) {
                ws.sendText(WARM_UP);
                assertThat(ws.readFrame().text()).as("warm-up round trip").isEqualTo(WARM_UP);
            }
            // Sent from another thread while this one reads: large messages flow both ways at once, and a gateway
            // that fails the connection may reset it before the client is done writing.
            CompletableFuture<Void> sent =
                    CompletableFuture.runAsync(() -> c.send().accept(ws));
            List<RawWebSocket.Frame> received = new ArrayList<>();
            RawWebSocket.Frame close = null;
            while (close == null && received.size() < c.replies().size()) {
                RawWebSocket.Frame frame = ws.readFrame();
                if (frame.opcode() == CLOSE) {
                    close = frame;
                } else {
                    received.add(frame);
                }
            }
            // Valid traffic gets every reply. When the gateway fails the connection, the backend's answers to what
            // came before the error may lose the race with the close; those that arrive must be the right ones.
            List<ConformanceCase.Reply> expected =
                    c.closeCode() == 0 ? c.replies() : c.replies().subList(0, received.size());
            assertThat(received).as("replies").hasSize(expected.size());
            for (int i = 0; i < received.size(); i++) {
                RawWebSocket.Frame reply = received.get(i);
                assertThat(reply.opcode())
                        .as("opcode of %s", reply)
                        .isEqualTo(expected.get(i).opcode());
                assertThat(reply.fin()).as("fin of %s", reply).isTrue();
                assertThat(reply.rsv()).as("rsv of %s", reply).isZero();
                assertThat(describe(reply.payload()))
                        .as("payload")
                        .isEqualTo(describe(expected.get(i).expected()));
            }
            if (close == null) {
                if (c.closeCode() == 0) {
                    sent.orTimeout(30, TimeUnit.SECONDS).join();
                    ws.sendClose(1000, "");
                }
                close = ws.readFrame();
            }
            int expectedClose = c.closeCode() == 0 ? 1000 : c.closeCode();
            assertThat(close.opcode())
                    .as("expected a close frame, got %s", close)
                    .isEqualTo(CLOSE);
            assertThat(close.closeCode())
                    .as("close code, reason '%s'", close.closeReason())
                    .isEqualTo(expectedClose);
            if (c.gatewayFails()) {
                // A real client answers the gateway's close, which lets the gateway end the connection at once
                // (without the answer it waits for its linger; SessionLifecycleIntegrationTests covers that).
                sent.handle((done, ex) -> null).orTimeout(30, TimeUnit.SECONDS).join();
                try {
                    ws.sendClose(close.closeCode(), "");
                } catch (UncheckedIOException ex) {
                    // Already reset: nothing to answer.
                }
            }
            assertThat(ws.awaitEndOfStream())
                    .as("the gateway ends the TCP connection")
                    .isTrue();

            ScriptedBackend.Recorded recorded = backend.session(tag);
            WebSocketCloseStatus backendClose = recorded.awaitClose();
            assertThat(backendClose.code())
                    .as("backend leg close, reason '%s'", backendClose.reasonText())
                    .isEqualTo(c.backendCloseCode());
            if (c.gatewayFails()) {
                // Failed by the gateway: the backend is told why, and the meters count the close as the gateway's.
                assertThat(backendClose.reasonText()).startsWith("client failed with " + c.closeCode() + ": ");
                await().atMost(Duration.ofSeconds(30)).until(() -> failedByGateway(c.closeCode()) == failedBefore + 1);
            }
            List<String> expectedAtBackend = new ArrayList<>();
            if (afterTraffic) {
                expectedAtBackend.add("text " + describe(utf8(WARM_UP)));
            }
            for (ConformanceCase.Reply reply : c.replies()) {
                expectedAtBackend.add(reply.backendType() + " " + describe(reply.sent()));
            }
            List<String> receivedAtBackend = recorded.messages().stream()
                    .map(message -> message.type() + " " + describe(message.payload()))
                    .toList();
            assertThat(receivedAtBackend).as("what the backend received").isEqualTo(expectedAtBackend);
        }
    }

    /** Sessions of this route closed by the gateway with {@code code}. */
    private double failedByGateway(int code) {
        Counter counter = this.registry
                .find(WsgateMeterNames.SESSIONS_CLOSED)
                .tags("route", "conformance", "close.code", Integer.toString(code), "closed.by", "gateway")
                .counter();
        return counter != null ? counter.count() : 0;
    }

    /** A payload for comparison: small ones in hex, large ones by length and digest (readable failures). */
    static String describe(byte[] payload) {
        if (payload.length <= 64) {
            return HexFormat.of().formatHex(payload);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(payload);
            return payload.length + "B sha256=" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    // --- 1 Framing: text and binary messages of each length class, whole and chopped ---

    static Stream<ConformanceCase> echo() {
        List<ConformanceCase> cases = new ArrayList<>();
        int[] lengths = {0, 125, 126, 127, 128, 65535, 65536};
        for (int i = 0; i < lengths.length; i++) {
            byte[] textPayload = ascii(lengths[i]);
            byte[] binaryPayload = bytes(lengths[i]);
            cases.add(relays(
                    "1.1." + (i + 1),
                    "text, " + lengths[i] + " bytes",
                    ws -> ws.send(TEXT, textPayload),
                    text(textPayload)));
            cases.add(relays(
                    "1.2." + (i + 1),
                    "binary, " + lengths[i] + " bytes",
                    ws -> ws.send(BINARY, binaryPayload),
                    binary(binaryPayload)));
        }
        byte[] chopped = ascii(65536);
        cases.add(relays(
                "1.1.8",
                "text, 65536 bytes, in chops of 997",
                ws -> ws.writeChopped(RawWebSocket.encode(true, 0, TEXT, chopped, true), 997),
                text(chopped)));
        byte[] choppedBinary = bytes(65536);
        cases.add(relays(
                "1.2.8",
                "binary, 65536 bytes, in chops of 997",
                ws -> ws.writeChopped(RawWebSocket.encode(true, 0, BINARY, choppedBinary, true), 997),
                binary(choppedBinary)));
        return cases.stream();
    }

    // --- 2 Pings and pongs: relayed to the backend, whose pong comes back; control frames > 125 B are fatal ---

    static Stream<ConformanceCase> pingPong() {
        String payload125 = new String(ascii(125));
        return Stream.of(
                relays("2.1", "ping without payload", ws -> ws.send(PING, new byte[0]), pong("")),
                relays(
                        "2.2",
                        "ping with a small text payload",
                        ws -> ws.sendPing("Hello, world!"),
                        pong("Hello, world!")),
                relays("2.4", "ping with a 125-byte payload", ws -> ws.sendPing(payload125), pong(payload125)),
                fails("2.5", "ping with a 126-byte payload", 1002, ws -> ws.send(PING, ascii(126))),
                relays(
                        "2.6",
                        "ping with a 125-byte payload in chops of 1",
                        ws -> ws.writeChopped(RawWebSocket.encode(true, 0, PING, utf8(payload125), true), 1),
                        pong(payload125)),
                relays("2.7", "unsolicited pong without payload", ws -> ws.send(PONG, new byte[0])),
                relays("2.8", "unsolicited pong with payload", ws -> ws.send(PONG, utf8("unsolicited pong"))),
                relays(
                        "2.9",
                        "unsolicited pong, then a ping",
                        ws -> {
                            ws.send(PONG, utf8("unsolicited pong"));
                            ws.sendPing("ping");
                        },
                        pong("ping")),
                relays(
                        "2.10",
                        "10 pings in a row",
                        ws -> {
                            for (int i = 0; i < 10; i++) {
                                ws.sendPing("ping " + i);
                            }
                        },
                        tenPongs()),
                relays(
                        "2.11",
                        "10 pings in a row, in chops of 1",
                        ws -> {
                            for (int i = 0; i < 10; i++) {
                                ws.writeChopped(RawWebSocket.encode(true, 0, PING, utf8("ping " + i), true), 1);
                            }
                        },
                        tenPongs()));
    }

    private static ConformanceCase.Reply[] tenPongs() {
        ConformanceCase.Reply[] pongs = new ConformanceCase.Reply[10];
        for (int i = 0; i < 10; i++) {
            pongs[i] = pong("ping " + i);
        }
        return pongs;
    }

    // --- 3 Reserved bits: none is negotiated, so any of them is a protocol error ---

    static Stream<ConformanceCase> reservedBits() {
        return Stream.of(
                fails("3.1", "text with RSV = 1", 1002, ws -> ws.send(true, 1, TEXT, utf8("Hello"), true)),
                fails(
                        "3.2",
                        "text, then text with RSV = 2, then ping",
                        1002,
                        ws -> {
                            ws.sendText("Hello");
                            ws.send(true, 2, TEXT, utf8("Hello"), true);
                            ws.sendPing("");
                        },
                        text("Hello")),
                fails(
                        "3.3",
                        "text, then text with RSV = 3, then ping, in one write",
                        1002,
                        ws -> ws.writeRaw(concat(
                                RawWebSocket.encode(true, 0, TEXT, utf8("Hello"), true),
                                RawWebSocket.encode(true, 3, TEXT, utf8("Hello"), true),
                                RawWebSocket.encode(true, 0, PING, new byte[0], true))),
                        text("Hello")),
                fails(
                        "3.4",
                        "text with RSV = 4 (RSV1, deflate not negotiated)",
                        1002,
                        ws -> ws.send(true, 4, TEXT, utf8("Hello"), true)),
                fails("3.5", "binary with RSV = 5", 1002, ws -> ws.send(true, 5, BINARY, bytes(8), true)),
                fails("3.6", "ping with RSV = 6", 1002, ws -> ws.send(true, 6, PING, utf8("Hello"), true)),
                fails(
                        "3.7",
                        "close with RSV = 7",
                        1002,
                        ws -> ws.send(true, 7, CLOSE, RawWebSocket.closePayload(1000, new byte[0]), true)));
    }

    // --- 4 Opcodes: reserved data (3-7) and control (B-F) opcodes are protocol errors ---

    static Stream<ConformanceCase> opcodes() {
        List<ConformanceCase> cases = new ArrayList<>();
        int[] data = {3, 4, 5, 6, 7};
        for (int i = 0; i < data.length; i++) {
            int opcode = data[i];
            cases.add(fails(
                    "4.1." + (i + 1),
                    "text, then reserved opcode " + opcode + ", then ping",
                    1002,
                    ws -> {
                        ws.sendText("Hello");
                        ws.send(opcode, utf8("reserved"));
                        ws.sendPing("");
                    },
                    text("Hello")));
        }
        int[] control = {0xB, 0xC, 0xD, 0xE, 0xF};
        for (int i = 0; i < control.length; i++) {
            int opcode = control[i];
            cases.add(fails(
                    "4.2." + (i + 1),
                    "text, then reserved control opcode " + Integer.toHexString(opcode) + ", then ping",
                    1002,
                    ws -> {
                        ws.sendText("Hello");
                        ws.send(opcode, utf8("reserved"));
                        ws.sendPing("");
                    },
                    text("Hello")));
        }
        return cases.stream();
    }

    // --- 5 Fragmentation: messages are aggregated and relayed whole; control frames may interleave ---

    static Stream<ConformanceCase> fragmentation() {
        return Stream.of(
                fails("5.1", "ping in 2 fragments", 1002, fragmented(PING, "fragment1", "fragment2")),
                fails("5.2", "pong in 2 fragments", 1002, fragmented(PONG, "fragment1", "fragment2")),
                relays(
                        "5.3",
                        "text in 2 fragments",
                        fragmented(TEXT, "fragment1", "fragment2"),
                        text("fragment1fragment2")),
                relays(
                        "5.4",
                        "text in 2 fragments, in chops of 1",
                        ws -> ws.writeChopped(
                                concat(
                                        RawWebSocket.encode(false, 0, TEXT, utf8("fragment1"), true),
                                        RawWebSocket.encode(true, 0, CONTINUATION, utf8("fragment2"), true)),
                                1),
                        text("fragment1fragment2")),
                relays(
                        "5.6",
                        "text in 2 fragments with a ping between them",
                        ws -> {
                            ws.send(false, 0, TEXT, utf8("fragment1"), true);
                            ws.sendPing("ping payload");
                            ws.send(true, 0, CONTINUATION, utf8("fragment2"), true);
                        },
                        pong("ping payload"),
                        text("fragment1fragment2")),
                relays(
                        "5.7",
                        "text in 2 fragments with a ping between them, in chops of 1",
                        ws -> ws.writeChopped(
                                concat(
                                        RawWebSocket.encode(false, 0, TEXT, utf8("fragment1"), true),
                                        RawWebSocket.encode(true, 0, PING, utf8("ping payload"), true),
                                        RawWebSocket.encode(true, 0, CONTINUATION, utf8("fragment2"), true)),
                                1),
                        pong("ping payload"),
                        text("fragment1fragment2")),
                relays(
                        "5.8",
                        "text in 2 fragments with an unsolicited pong between them",
                        ws -> {
                            ws.send(false, 0, TEXT, utf8("fragment1"), true);
                            ws.send(PONG, utf8("pong payload"));
                            ws.send(true, 0, CONTINUATION, utf8("fragment2"), true);
                        },
                        text("fragment1fragment2")),
                fails("5.9", "continuation with FIN and nothing to continue, then text", 1002, ws -> {
                    ws.send(true, 0, CONTINUATION, utf8("fragment"), true);
                    ws.sendText("Hello");
                }),
                fails("5.12", "continuation without FIN and nothing to continue, then text", 1002, ws -> {
                    ws.send(false, 0, CONTINUATION, utf8("fragment"), true);
                    ws.sendText("Hello");
                }),
                fails(
                        "5.15",
                        "text in 2 fragments, then a continuation with nothing to continue",
                        1002,
                        ws -> {
                            ws.send(false, 0, TEXT, utf8("fragment1"), true);
                            ws.send(true, 0, CONTINUATION, utf8("fragment2"), true);
                            ws.send(false, 0, CONTINUATION, utf8("fragment3"), true);
                            ws.send(true, 0, TEXT, utf8("fragment4"), true);
                        },
                        text("fragment1fragment2")),
                fails("5.18", "text start, then a new text instead of a continuation", 1002, ws -> {
                    ws.send(false, 0, TEXT, utf8("fragment1"), true);
                    ws.send(true, 0, TEXT, utf8("fragment2"), true);
                }),
                relays(
                        "5.19",
                        "text in 5 fragments with pings after the 1st and the 4th",
                        ws -> {
                            ws.send(false, 0, TEXT, utf8("fragment1"), true);
                            ws.sendPing("pongme 1!");
                            ws.send(false, 0, CONTINUATION, utf8("fragment2"), true);
                            ws.send(false, 0, CONTINUATION, utf8("fragment3"), true);
                            ws.send(false, 0, CONTINUATION, utf8("fragment4"), true);
                            ws.sendPing("pongme 2!");
                            ws.send(true, 0, CONTINUATION, utf8("fragment5"), true);
                        },
                        pong("pongme 1!"),
                        pong("pongme 2!"),
                        text("fragment1fragment2fragment3fragment4fragment5")),
                relays(
                        "5.x",
                        "binary in 3 fragments",
                        ws -> {
                            ws.send(false, 0, BINARY, bytes(10), true);
                            ws.send(false, 0, CONTINUATION, bytes(20), true);
                            ws.send(true, 0, CONTINUATION, bytes(30), true);
                        },
                        binary(concat(bytes(10), bytes(20), bytes(30)))));
    }

    // --- 6 UTF-8: valid text passes byte for byte, invalid text is closed with 1007 ---

    private static final String HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!";

    private static final String KOSME = "cebae1bdb9cf83cebcceb5";

    static Stream<ConformanceCase> utf8Handling() {
        List<ConformanceCase> cases = new ArrayList<>();
        cases.add(relays("6.1.1", "text of length 0", ws -> ws.send(TEXT, new byte[0]), text("")));
        cases.add(relays(
                "6.1.2",
                "text in 3 empty fragments",
                ws -> {
                    ws.send(false, 0, TEXT, new byte[0], true);
                    ws.send(false, 0, CONTINUATION, new byte[0], true);
                    ws.send(true, 0, CONTINUATION, new byte[0], true);
                },
                text("")));
        cases.add(relays(
                "6.1.3",
                "text in fragments: empty, 'middle', empty",
                ws -> {
                    ws.send(false, 0, TEXT, new byte[0], true);
                    ws.send(false, 0, CONTINUATION, utf8("middle"), true);
                    ws.send(true, 0, CONTINUATION, new byte[0], true);
                },
                text("middle")));
        cases.add(relays("6.2.1", "valid UTF-8 in one frame", ws -> ws.sendText(HELLO_UTF8), text(HELLO_UTF8)));
        cases.add(relays(
                "6.2.2",
                "valid UTF-8 in 2 fragments split at a code point",
                ws -> {
                    ws.send(false, 0, TEXT, utf8("Hello-µ@ßöä"), true);
                    ws.send(true, 0, CONTINUATION, utf8("üàá-UTF-8!!"), true);
                },
                text(HELLO_UTF8)));
        cases.add(relays(
                "6.2.3",
                "valid UTF-8, one octet per fragment",
                ws -> octetFragments(ws, utf8(HELLO_UTF8)),
                text(HELLO_UTF8)));
        cases.add(relays(
                "6.2.4",
                "valid UTF-8 'κόσμε', one octet per fragment",
                ws -> octetFragments(ws, hex(KOSME)),
                text(hex(KOSME))));
        byte[] invalid = hex(KOSME + "eda080656469746564");
        cases.add(fails("6.3.1", "invalid UTF-8 (a surrogate) in one frame", 1007, ws -> ws.send(TEXT, invalid)));
        cases.add(fails("6.3.2", "invalid UTF-8, one octet per fragment", 1007, ws -> octetFragments(ws, invalid)));
        cases.add(fails("6.4.1", "invalid code point in the 1st of 3 fragments", 1007, ws -> {
            ws.send(false, 0, TEXT, hex(KOSME), true);
            ws.send(false, 0, CONTINUATION, hex("f4908080"), true);
            ws.send(true, 0, CONTINUATION, utf8("edited"), true);
        }));
        cases.add(fails("6.4.3", "invalid sequence split over fragments", 1007, ws -> {
            ws.send(false, 0, TEXT, hex(KOSME), true);
            ws.send(false, 0, CONTINUATION, hex("f4"), true);
            ws.send(true, 0, CONTINUATION, hex("90 80 80 656469746564"), true);
        }));
        String[][] valid = {
            {"6.5.1", "'κόσμε'", KOSME},
            {"6.7.1", "first 1-byte sequence U+0000", "00"},
            {"6.7.2", "first 2-byte sequence U+0080", "c280"},
            {"6.7.3", "first 3-byte sequence U+0800", "e0a080"},
            {"6.7.4", "first 4-byte sequence U+10000", "f0908080"},
            {"6.9.1", "last 1-byte sequence U+007F", "7f"},
            {"6.9.2", "last 2-byte sequence U+07FF", "dfbf"},
            {"6.9.3", "last 3-byte sequence U+FFFF", "efbfbf"},
            {"6.9.4", "last 4-byte sequence U+10FFFF", "f48fbfbf"},
            {"6.11.1", "U+D7FF", "ed9fbf"},
            {"6.11.2", "U+E000", "ee8080"},
            {"6.11.3", "U+FFFD", "efbfbd"},
            {"6.22.1", "noncharacter U+FFFE", "efbfbe"},
            {"6.22.3", "noncharacter U+1FFFE", "f09fbfbe"},
        };
        for (String[] row : valid) {
            byte[] payload = hex(row[2]);
            cases.add(relays(row[0], "valid UTF-8: " + row[1], ws -> ws.send(TEXT, payload), text(payload)));
        }
        String[][] invalidRows = {
            {"6.8.1", "5-byte sequence", "f888808080"},
            {"6.8.2", "6-byte sequence", "fc8480808080"},
            {"6.10.1", "beyond U+10FFFF (f7bfbfbf)", "f7bfbfbf"},
            {"6.11.5", "U+110000", "f4908080"},
            {"6.12.1", "lone continuation byte 80", "80"},
            {"6.12.2", "lone continuation byte bf", "bf"},
            {"6.12.8", "continuation bytes 80bf80bf80bf80", "80bf80bf80bf80"},
            {"6.13.1", "lonely start byte c0 followed by a space", "c020"},
            {"6.14.1", "2-byte sequence missing its last byte", "c0"},
            {"6.14.3", "4-byte sequence missing its last byte", "f08080"},
            {"6.16.1", "impossible byte fe", "fe"},
            {"6.16.2", "impossible byte ff", "ff"},
            {"6.17.1", "overlong '/' in 2 bytes", "c0af"},
            {"6.17.2", "overlong '/' in 3 bytes", "e080af"},
            {"6.18.1", "maximal overlong 2-byte sequence", "c1bf"},
            {"6.19.1", "overlong NUL in 2 bytes", "c080"},
            {"6.20.1", "single UTF-16 surrogate U+D800", "eda080"},
            {"6.20.7", "single UTF-16 surrogate U+DFFF", "edbfbf"},
            {"6.21.1", "paired UTF-16 surrogates U+D800 U+DC00", "eda080edb080"},
        };
        for (String[] row : invalidRows) {
            byte[] payload = hex(KOSME + row[2]);
            cases.add(fails(row[0], "invalid UTF-8: " + row[1], 1007, ws -> ws.send(TEXT, payload)));
        }
        return cases.stream();
    }

    private static void octetFragments(RawWebSocket ws, byte[] payload) {
        for (int i = 0; i < payload.length; i++) {
            ws.send(i == payload.length - 1, 0, i == 0 ? TEXT : CONTINUATION, new byte[] {payload[i]}, true);
        }
    }

    // --- 7 Close handling ---

    static Stream<ConformanceCase> closeHandling() {
        List<ConformanceCase> cases = new ArrayList<>();
        cases.add(
                relays("7.1.1", "text, then a normal close", ws -> ws.sendText("Hello World!"), text("Hello World!")));
        cases.add(closes("7.1.2", "close twice", 1000, 1000, ws -> {
            ws.sendClose(1000, "");
            ws.sendClose(1000, "");
        }));
        cases.add(closes("7.1.3", "close, then ping", 1000, 1000, ws -> {
            ws.sendClose(1000, "");
            ws.sendPing("after close");
        }));
        cases.add(closes("7.1.4", "close, then text", 1000, 1000, ws -> {
            ws.sendClose(1000, "");
            ws.sendText("after close");
        }));
        cases.add(closes("7.1.5", "text fragment, close, then the continuation", 1000, 1000, ws -> {
            ws.send(false, 0, TEXT, utf8("fragment1"), true);
            ws.sendClose(1000, "");
            ws.send(true, 0, CONTINUATION, utf8("fragment2"), true);
        }));
        // An empty close frame names no code: the gateway echoes it, and tells the backend 1000 (normal).
        cases.add(closes("7.3.1", "close without payload", 1000, 1000, ws -> ws.send(CLOSE, new byte[0])));
        cases.add(fails("7.3.2", "close with a 1-byte payload", 1002, ws -> ws.send(CLOSE, new byte[] {0x03})));
        cases.add(closes("7.3.3", "close 1000 without reason", 1000, 1000, ws -> ws.sendClose(1000, "")));
        cases.add(closes("7.3.4", "close 1000 with a reason", 1000, 1000, ws -> ws.sendClose(1000, "Hello World!")));
        String reason123 = new String(ascii(123));
        cases.add(
                closes("7.3.5", "close 1000 with a 123-byte reason", 1000, 1000, ws -> ws.sendClose(1000, reason123)));
        cases.add(fails(
                "7.3.6",
                "close 1000 with a 124-byte reason (payload 126 > 125)",
                1002,
                ws -> ws.sendClose(1000, reason123 + "x")));
        cases.add(fails(
                "7.5.1",
                "close 1000 with an invalid UTF-8 reason",
                1007,
                ws -> ws.send(CLOSE, RawWebSocket.closePayload(1000, hex(KOSME + "eda080656469746564")))));
        int[] validCodes = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999};
        for (int i = 0; i < validCodes.length; i++) {
            int code = validCodes[i];
            cases.add(closes(
                    "7.7." + (i + 1), "close with valid code " + code, code, code, ws -> ws.sendClose(code, "")));
        }
        int[] invalidCodes = {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999};
        for (int i = 0; i < invalidCodes.length; i++) {
            int code = invalidCodes[i];
            cases.add(fails("7.9." + (i + 1), "close with invalid code " + code, 1002, ws -> ws.sendClose(code, "")));
        }
        cases.add(fails("7.13.1", "close with code 5000 (beyond the registry)", 1002, ws -> ws.sendClose(5000, "")));
        cases.add(fails("7.13.2", "close with code 65535", 1002, ws -> ws.sendClose(65535, "")));
        return cases.stream();
    }

    // --- 9 Large messages: up to the limit relayed, beyond it 1009 ---

    static Stream<ConformanceCase> largeMessages() {
        byte[] text64k = ascii(64 * 1024);
        byte[] text256k = ascii(256 * 1024);
        byte[] textLimit = ascii(LIMIT);
        byte[] binaryLimit = bytes(LIMIT);
        byte[] overLimit = ascii(LIMIT + 1);
        return Stream.of(
                relays("9.1.1", "text, 64 KiB", ws -> ws.send(TEXT, text64k), text(text64k)),
                relays("9.1.2", "text, 256 KiB", ws -> ws.send(TEXT, text256k), text(text256k)),
                relays("9.1.3", "text, 1 MiB (the limit)", ws -> ws.send(TEXT, textLimit), text(textLimit)),
                relays("9.2.3", "binary, 1 MiB (the limit)", ws -> ws.send(BINARY, binaryLimit), binary(binaryLimit)),
                relays(
                        "9.4.x",
                        "binary, 1 MiB in 64 KiB fragments",
                        ws -> fragments(ws, BINARY, binaryLimit, 64 * 1024),
                        binary(binaryLimit)),
                fails("9.1.x+1", "text, 1 MiB + 1 byte in one frame", 1009, ws -> ws.send(TEXT, overLimit)),
                fails("9.2.4", "binary, 4 MiB in one frame", 1009, ws -> ws.send(BINARY, bytes(4 * LIMIT))),
                fails(
                        "9.4.x+1",
                        "binary, 1 MiB + 1 byte in 64 KiB fragments",
                        1009,
                        ws -> fragments(ws, BINARY, bytes(LIMIT + 1), 64 * 1024)));
    }

    /** A message of {@code opcode} sent as one fragment per part. */
    private static Consumer<RawWebSocket> fragmented(int opcode, String... parts) {
        return ws -> {
            for (int i = 0; i < parts.length; i++) {
                ws.send(i == parts.length - 1, 0, i == 0 ? opcode : CONTINUATION, utf8(parts[i]), true);
            }
        };
    }

    private static void fragments(RawWebSocket ws, int opcode, byte[] payload, int size) {
        for (int from = 0; from < payload.length; from += size) {
            byte[] fragment = java.util.Arrays.copyOfRange(payload, from, Math.min(payload.length, from + size));
            ws.send(from + size >= payload.length, 0, from == 0 ? opcode : CONTINUATION, fragment, true);
        }
    }

    // --- 12/13 Compression: permessage-deflate is declined, so messages travel uncompressed ---

    /** What browsers offer. */
    static final String DEFLATE_OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits";

    /**
     * With permessage-deflate offered, the gateway declines it (RFC 7692 section 5: a server may accept none of
     * the offers): the 101 names no extension, the backend is offered none, and messages travel uncompressed. The
     * Autobahn 12/13 cases need the extension negotiated, so what is checked is the declining itself.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("compression")
    void compressionOffered(ConformanceCase conformanceCase) {
        run(conformanceCase, DEFLATE_OFFER);
    }

    static Stream<ConformanceCase> compression() {
        byte[] large = ascii(64 * 1024);
        return Stream.of(
                relays(
                        "12.1.1",
                        "deflate declined: text travels uncompressed",
                        ws -> ws.sendText("Hello"),
                        text("Hello")),
                relays(
                        "12.2.x",
                        "deflate declined: 64 KiB text travels uncompressed",
                        ws -> ws.send(TEXT, large),
                        text(large)),
                fails(
                        "13.1.1",
                        "deflate declined: a compressed frame (RSV1) is a protocol error",
                        1002,
                        ws -> ws.send(true, 4, TEXT, deflated(utf8("Hello")), true)));
    }

    @Test
    void declinesPermessageDeflateOnBothLegs() {
        String tag = "deflate-" + UUID.randomUUID();
        try (RawWebSocket ws = RawWebSocket.connect(this.port, "/conformance/?t=" + tag, DEFLATE_OFFER)) {
            assertThat(ws.handshake().status()).isEqualTo(101);
            assertThat(ws.handshake().header("Sec-WebSocket-Extensions")).isNull();
            assertThat(backend.session(tag).handshake().get("Sec-WebSocket-Extensions"))
                    .isNull();
            ws.sendClose(1000, "");
            assertThat(ws.awaitClose().closeCode()).isEqualTo(1000);
        }
    }

    /** A permessage-deflate payload (RFC 7692 section 7.2.1): raw deflate without the final empty block's tail. */
    static byte[] deflated(byte[] payload) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(payload);
        byte[] out = new byte[payload.length + 64];
        int length = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
        deflater.end();
        return java.util.Arrays.copyOf(out, length - 4);
    }

    // --- RFC 6455 5.1: a client must mask every frame ---

    static Stream<ConformanceCase> masking() {
        return Stream.of(
                fails("5.1 (RFC)", "unmasked text", 1002, ws -> ws.send(true, 0, TEXT, utf8("Hello"), false)),
                fails("5.1 (RFC) ping", "unmasked ping", 1002, ws -> ws.send(true, 0, PING, utf8("Hello"), false)));
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
