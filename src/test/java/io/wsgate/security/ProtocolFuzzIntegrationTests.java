package io.wsgate.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import io.wsgate.support.Backend;
import io.wsgate.support.BackendsExtension;
import io.wsgate.support.FreePorts;
import io.wsgate.support.Gateway;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A seeded fuzzer against a running gateway (a route to {@link ScriptedBackend} and the bundled echo): random and mutated upgrade requests, then (after a 101) random and
 * mutated frame streams, a few hundred connections, several at once. The oracle for each connection: an HTTP
 * answer has a well-formed status line and is 101 only for an upgrade that can be one (its accept matches a key
 * sent); after a 101 every frame from the gateway is a legal server frame, a close frame carries a code an endpoint
 * may send (never empty, never 1004/1005/1006/1015) and nothing follows it; and the TCP connection ends within
 * {@link #BOUND} of the client's last byte. Meanwhile a healthy session on another route keeps echoing, and the
 * gateway's retained heap and Netty's direct memory (this JVM runs the gateway) grow by less than
 * {@link #MEMORY_BOUND}.
 *
 * <p>Every run prints its seed; {@code -Dwsgate.fuzz.seed=S} replays it, {@code -Dwsgate.fuzz.iterations=N} sets the
 * number of connections, {@code -Dwsgate.fuzz.only=I} replays connection I of the seed alone.
 */
@ExtendWith(BackendsExtension.class)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT,
        properties = {
            // No health probes: the scripted backend sees the fuzzer's sessions only.
            "wsgate.health.enabled=false",
            "wsgate.handshake.header-timeout=5s",
            // DEFINED_PORT keeps application.yml's 8081 otherwise.
            "management.server.port=0"
        })
class ProtocolFuzzIntegrationTests {

    private static final long SEED = Long.getLong("wsgate.fuzz.seed", System.nanoTime());

    private static final int ITERATIONS = Integer.getInteger("wsgate.fuzz.iterations", 400);

    private static final int ONLY = Integer.getInteger("wsgate.fuzz.only", -1);

    /** -Dwsgate.fuzz.direct-echo=true: fuzz the bundled echo's own /echo/ (no route in front) instead of /ws/echo/. */
    private static final boolean DIRECT_ECHO = Boolean.getBoolean("wsgate.fuzz.direct-echo");

    private static final int CONCURRENCY = 8;

    /** How long the gateway may take to end a connection after the client's last byte. */
    private static final Duration BOUND = Duration.ofSeconds(10);

    /** How long to wait for an answer to a request head before sending a FIN (a head the gateway waits on). */
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(3);

    private static final long MEMORY_BOUND = 128L << 20;

    /**
     * RFC 9112's status-line: any HTTP-version by the grammar, because Reactor Netty answers in the request's
     * version, even a mutated one ("HTTP/0.1 426"); the version is checked apart ({@code Connection#run}).
     */
    private static final Pattern STATUS_LINE =
            Pattern.compile("HTTP/[0-9]\\.[0-9] [1-5][0-9][0-9]( [\\x20-\\x7E\\t\\x80-\\xFF]*)?");

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("fuzz", "ws://127.0.0.1:" + backend.port(), "/fuzz/**");
        routes.add("side", "ws://127.0.0.1:" + backend.port(), "/side/**");
        // The default /ws/ route's setup: the bundled echo of this same process behind a route (/ws/echo/ → /echo/),
        // so a fixed port.
        int port = FreePorts.next();
        registry.add("server.port", () -> port);
        routes.add("echo", "ws://127.0.0.1:" + port, "/ws/**");
    }

    @Test
    void everyConnectionGetsAStatusOrACloseCodeOrEndsAndTheGatewayStaysHealthy() throws Exception {
        System.out.printf(
                "protocol fuzz: seed %d, %d connections (replay: -Dwsgate.fuzz.seed=%d)%n", SEED, ITERATIONS, SEED);
        SplittableRandom master = new SplittableRandom(SEED);
        List<FuzzCase> cases = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            FuzzCase fuzzCase = FuzzCase.generate(i, master.split());
            if (ONLY < 0 || ONLY == i) {
                cases.add(fuzzCase);
            }
        }
        Queue failures = new Queue();
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        SideSession side = SideSession.start(uri("/side/"));
        MemoryWatch memory = MemoryWatch.start();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
        try {
            List<CompletableFuture<Void>> runs = new ArrayList<>();
            for (FuzzCase fuzzCase : cases) {
                runs.add(CompletableFuture.runAsync(
                        () -> {
                            String outcome;
                            try {
                                outcome = new Connection(this.port, fuzzCase).run();
                            } catch (Throwable ex) {
                                failures.add(fuzzCase, "the client failed: " + ex);
                                outcome = "client error";
                            }
                            if (outcome.contains("ended without") || outcome.contains("answered as")) {
                                // Allowed, but no answer at all: shown so that a reader can judge them.
                                System.out.printf(
                                        "protocol fuzz note: seed %d connection %d %s%n    input: %s%n",
                                        SEED, fuzzCase.index(), outcome, fuzzCase.describe());
                            }
                            if (outcome.startsWith("FAIL ")) {
                                failures.add(fuzzCase, outcome.substring(5));
                                outcome = "failed";
                            }
                            outcomes.computeIfAbsent(outcome, key -> new LongAdder())
                                    .increment();
                        },
                        pool));
            }
            CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new))
                    .get(ITERATIONS * BOUND.toSeconds() * 2 / CONCURRENCY + 60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            memory.stop();
        }
        // The gateway is still up: a new session echoes, and the side session kept echoing throughout.
        assertThat(JdkWebSocketClient.replyTo(uri("/fuzz/?t=after"), "after the fuzz"))
                .isEqualTo("after the fuzz");
        side.stop();

        Map<String, Long> counts = new TreeMap<>();
        outcomes.forEach((outcome, count) -> counts.put(outcome, count.sum()));
        System.out.printf("protocol fuzz: seed %d, outcomes %s%n", SEED, counts);
        System.out.printf(
                "protocol fuzz: side session %d echoes, longest gap %d ms; peak growth heap after GC %.1f MiB,"
                        + " Netty direct %.1f MiB%n",
                side.echoes.get(), side.longestGapMillis.get(), mib(memory.heap.growth()), mib(memory.direct.growth()));
        assertThat(failures.all)
                .as(
                        "failing connections of seed %d (replay: -Dwsgate.fuzz.seed=%d -Dwsgate.fuzz.only=<connection>)",
                        SEED, SEED)
                .isEmpty();
        assertThat(side.error.get()).as("side session error").isNull();
        assertThat(side.longestGapMillis.get())
                .as("longest wait for a side echo (ms)")
                .isLessThan(BOUND.toMillis());
        assertThat(memory.heap.growth())
                .as("heap growth after GC, seed %d", SEED)
                .isLessThan(MEMORY_BOUND);
        assertThat(memory.direct.growth())
                .as("Netty direct memory growth, seed %d", SEED)
                .isLessThan(MEMORY_BOUND);
    }

    private URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + this.port + path);
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    /** Failures, each with what replays it and the input that caused it. */
    private static final class Queue {

        final ConcurrentLinkedQueue<String> all = new ConcurrentLinkedQueue<>();

        void add(FuzzCase fuzzCase, String what) {
            String failure = "seed " + SEED + " connection " + fuzzCase.index + ": " + what + "\n    input: "
                    + fuzzCase.describe();
            System.out.println("protocol fuzz FAILURE " + failure);
            this.all.add(failure);
        }
    }

    /**
     * One connection's input: the request head (with what was done to it), whether it is an upgrade that must not
     * get 101, the keys it carries, and the frames sent after a 101 (with what was done to them).
     */
    record FuzzCase(
            int index,
            byte[] request,
            List<String> requestMutations,
            boolean mustNotUpgrade,
            List<String> keys,
            byte[] afterHead,
            byte[] frames,
            List<String> frameMutations,
            boolean finAfterFrames) {

        /**
         * Mostly routes that upgrade (to the scripted backend; to the bundled echo of this same process, as the
         * default /ws/ route does), some that refuse or don't exist.
         */
        private static final String[] PATHS = {
            "/fuzz/",
            "/fuzz/",
            "/fuzz/",
            "/fuzz/",
            "/ws/echo/",
            "/ws/echo/",
            "/fuzz/chat",
            "/fuzz/status/401",
            "/nowhere/"
        };

        private static final String[] EXTENSION_TOKENS = {
            "permessage-deflate",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            "deflate-frame",
            "x-webkit-deflate-frame",
            "permessage-deflate; server_max_window_bits=",
            "permessage-deflate; client_max_window_bits=",
            "foo",
            ";;,,",
            "permessage-deflate; unknown=1",
            "permessage-deflate, permessage-deflate",
        };

        /** The paths with the bundled echo's own /echo/ (no gateway route in front of it) in place of /ws/echo/. */
        private static String[] directEcho() {
            String[] paths = PATHS.clone();
            for (int i = 0; i < paths.length; i++) {
                paths[i] = paths[i].equals("/ws/echo/") ? "/echo/" : paths[i];
            }
            return paths;
        }

        static FuzzCase generate(int index, SplittableRandom random) {
            List<String> mutations = new ArrayList<>();
            String key = randomKey(random);
            List<String> keys = new ArrayList<>(List.of(key));
            String[] paths = DIRECT_ECHO ? directEcho() : PATHS;
            String path = paths[random.nextInt(paths.length)] + "?t=fuzz" + index;
            List<String> lines = new ArrayList<>(List.of(RawHttp.upgradeRequest(path)));
            lines.replaceAll(line -> line.startsWith("Sec-WebSocket-Key:") ? "Sec-WebSocket-Key: " + key : line);
            boolean mustNotUpgrade = false;
            byte[] body = new byte[0];
            // About half the requests stay valid upgrades, so that frame streams get their turn.
            int headerMutations = random.nextInt(4) == 0 ? 0 : random.nextInt(2) == 0 ? 0 : 1 + random.nextInt(3);
            for (int m = 0; m < headerMutations; m++) {
                switch (random.nextInt(16)) {
                    case 0 -> {
                        lines.removeIf(line -> line.startsWith("Upgrade:"));
                        mutations.add("no Upgrade header");
                        mustNotUpgrade = true;
                    }
                    case 1 -> {
                        // A later mutation may add one back (a "duplicate" key): judged once all are done.
                        lines.removeIf(line -> line.startsWith("Sec-WebSocket-Key:"));
                        keys.clear();
                        mutations.add("no Sec-WebSocket-Key");
                    }
                    case 2 -> {
                        lines.replaceAll(line -> line.startsWith("Sec-WebSocket-Version:")
                                ? "Sec-WebSocket-Version: " + (random.nextBoolean() ? "8" : "14")
                                : line);
                        mutations.add("other Sec-WebSocket-Version");
                        mustNotUpgrade = true;
                    }
                    case 3 -> {
                        String method = random.nextBoolean() ? "POST" : "PUT";
                        lines.set(0, lines.get(0).replaceFirst("GET", method));
                        mutations.add("method " + method);
                        mustNotUpgrade = true;
                    }
                    case 4 -> {
                        lines.set(0, lines.get(0).replace("HTTP/1.1", "HTTP/1.0"));
                        mutations.add("HTTP/1.0");
                        mustNotUpgrade = true;
                    }
                    case 5 -> {
                        lines.add("Host: evil.example");
                        mutations.add("duplicate Host");
                    }
                    case 6 -> {
                        String second = randomKey(random);
                        keys.add(second);
                        lines.add("Sec-WebSocket-Key: " + second);
                        mutations.add("duplicate Sec-WebSocket-Key");
                    }
                    case 7 -> {
                        int length = 1 + random.nextInt(12_000);
                        lines.add("X-Long: " + "a".repeat(length));
                        mutations.add("header of " + length + " characters");
                    }
                    case 8 -> {
                        String[] injections = {"a\r\nX-Injected: 1", "a\nX-Injected: 1", "a\rX-Injected: 1", "a\0b"};
                        lines.add("X-Value: " + injections[random.nextInt(injections.length)]);
                        mutations.add("CR/LF/NUL inside a header value");
                    }
                    case 9, 10 -> {
                        String value = EXTENSION_TOKENS[random.nextInt(EXTENSION_TOKENS.length)];
                        if (value.endsWith("=")) {
                            value += random.nextInt(20) - 2;
                        }
                        lines.add("Sec-WebSocket-Extensions: " + value);
                        mutations.add("Sec-WebSocket-Extensions: " + value);
                    }
                    case 11 -> {
                        lines.add("Sec-WebSocket-Protocol: " + asciiGarbage(random, 1 + random.nextInt(40)));
                        mutations.add("random Sec-WebSocket-Protocol");
                    }
                    case 12 -> {
                        body = randomBytes(random, 1 + random.nextInt(64));
                        int declared = random.nextBoolean() ? body.length : body.length + 1 + random.nextInt(100);
                        lines.add("Content-Length: " + declared);
                        mutations.add("Content-Length " + declared + " with a body of " + body.length);
                        mustNotUpgrade = true;
                    }
                    case 13 -> {
                        lines.add("Transfer-Encoding: chunked");
                        body = "5\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
                        mutations.add("chunked body");
                        mustNotUpgrade = true;
                    }
                    case 14 -> {
                        lines.add(asciiGarbage(random, 1 + random.nextInt(30)));
                        mutations.add("a header line of garbage");
                    }
                    default -> {
                        lines.add("Origin: " + asciiGarbage(random, 1 + random.nextInt(30)));
                        mutations.add("random Origin");
                    }
                }
            }
            mustNotUpgrade |= keys.isEmpty();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.writeBytes((String.join("\r\n", lines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            head.writeBytes(body);
            byte[] request = head.toByteArray();
            if (random.nextInt(6) == 0) {
                request = mutateBytes(request, random, mutations, 1 + random.nextInt(4));
                // Byte changes may turn an invalid request valid (or the reverse): only the accept is checked.
                mustNotUpgrade = false;
            }
            byte[] afterHead = new byte[0];
            if (random.nextInt(10) == 0) {
                afterHead = randomBytes(random, 1 + random.nextInt(200));
                mutations.add(afterHead.length + " random bytes right after the head");
            }
            List<String> frameMutations = new ArrayList<>();
            byte[] frames = frames(random, frameMutations);
            boolean endsClean = frameMutations.isEmpty();
            boolean fin = !endsClean || random.nextInt(3) != 0;
            return new FuzzCase(
                    index, request, mutations, mustNotUpgrade, keys, afterHead, frames, frameMutations, fin);
        }

        /** A valid frame sequence, then frame- and byte-level mutations; mostly ended by a close frame. */
        private static byte[] frames(SplittableRandom random, List<String> mutations) {
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            int count = 1 + random.nextInt(6);
            boolean frameMutation = random.nextInt(3) != 0;
            int mutated = frameMutation ? random.nextInt(count) : -1;
            for (int f = 0; f < count; f++) {
                Frame frame = randomFrame(random);
                if (f == mutated) {
                    frame = mutateFrame(frame, random, mutations);
                }
                stream.writeBytes(frame.encode(random));
            }
            if (random.nextInt(5) != 0) {
                Frame close = random.nextInt(3) == 0
                        ? new Frame(true, 0, RawWebSocket.CLOSE, randomClosePayload(random), true, null)
                        : new Frame(
                                true, 0, RawWebSocket.CLOSE, RawWebSocket.closePayload(1000, new byte[0]), true, null);
                if (close.payload.length != 2 || close.payload[0] != 0x03 || close.payload[1] != (byte) 0xE8) {
                    mutations.add("close payload " + HexFormat.of().formatHex(close.payload));
                }
                stream.writeBytes(close.encode(random));
            } else {
                mutations.add("no close frame");
            }
            byte[] bytes = stream.toByteArray();
            if (random.nextInt(5) == 0) {
                bytes = mutateBytes(bytes, random, mutations, 1 + random.nextInt(4));
            }
            if (random.nextInt(8) == 0 && bytes.length > 1) {
                int cut = 1 + random.nextInt(bytes.length - 1);
                bytes = java.util.Arrays.copyOf(bytes, cut);
                mutations.add("truncated at byte " + cut);
            }
            return bytes;
        }

        private static Frame randomFrame(SplittableRandom random) {
            return switch (random.nextInt(8)) {
                case 0 ->
                    new Frame(true, 0, RawWebSocket.BINARY, randomBytes(random, random.nextInt(70_000)), true, null);
                case 1 -> new Frame(true, 0, RawWebSocket.PING, randomBytes(random, random.nextInt(126)), true, null);
                case 2 -> new Frame(true, 0, RawWebSocket.PONG, randomBytes(random, random.nextInt(126)), true, null);
                case 3 -> new Frame(false, 0, RawWebSocket.TEXT, "frag".getBytes(StandardCharsets.UTF_8), true, null);
                case 4 ->
                    new Frame(
                            random.nextBoolean(),
                            0,
                            RawWebSocket.CONTINUATION,
                            "ment".getBytes(StandardCharsets.UTF_8),
                            true,
                            null);
                case 5 -> {
                    // The scripted backend's commands: it closes with a code, drops the connection, streams.
                    String[] commands = {"close:4000:fuzz", "close:1000:", "close:1011:x", "die", "reset", "stream:3:10"
                    };
                    yield new Frame(
                            true,
                            0,
                            RawWebSocket.TEXT,
                            commands[random.nextInt(commands.length)].getBytes(StandardCharsets.UTF_8),
                            true,
                            null);
                }
                default ->
                    new Frame(
                            true,
                            0,
                            RawWebSocket.TEXT,
                            asciiGarbage(random, random.nextInt(300)).getBytes(StandardCharsets.UTF_8),
                            true,
                            null);
            };
        }

        private static Frame mutateFrame(Frame frame, SplittableRandom random, List<String> mutations) {
            switch (random.nextInt(8)) {
                case 0 -> {
                    int rsv = 1 + random.nextInt(7);
                    mutations.add("reserved bits " + rsv);
                    return new Frame(frame.fin, rsv, frame.opcode, frame.payload, frame.masked, frame.declaredLength);
                }
                case 1 -> {
                    int[] reserved = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
                    int opcode = reserved[random.nextInt(reserved.length)];
                    mutations.add("reserved opcode " + opcode);
                    return new Frame(frame.fin, frame.rsv, opcode, frame.payload, frame.masked, frame.declaredLength);
                }
                case 2 -> {
                    mutations.add("unmasked frame");
                    return new Frame(frame.fin, frame.rsv, frame.opcode, frame.payload, false, frame.declaredLength);
                }
                case 3 -> {
                    long[] lengths = {126, 65_535, 65_536, 1L << 20, (1L << 20) + 1, 1L << 32, Long.MAX_VALUE, -1L};
                    long declared = lengths[random.nextInt(lengths.length)];
                    mutations.add("declared length " + Long.toUnsignedString(declared));
                    return new Frame(frame.fin, frame.rsv, frame.opcode, frame.payload, frame.masked, declared);
                }
                case 4 -> {
                    byte[] big = randomBytes(random, 126 + random.nextInt(200));
                    mutations.add("control frame of " + big.length + " bytes");
                    return new Frame(true, 0, RawWebSocket.PING, big, true, null);
                }
                case 5 -> {
                    mutations.add("fragmented control frame");
                    return new Frame(
                            false,
                            0,
                            RawWebSocket.PING,
                            frame.payload.length > 125 ? new byte[1] : frame.payload,
                            true,
                            null);
                }
                case 6 -> {
                    byte[] invalid = {(byte) 0xC3, (byte) 0x28, (byte) 0xED, (byte) 0xA0, (byte) 0x80};
                    mutations.add("invalid UTF-8 text");
                    return new Frame(true, 0, RawWebSocket.TEXT, invalid, true, null);
                }
                default -> {
                    mutations.add("compressed (RSV1) without deflate");
                    return new Frame(
                            true, 4, RawWebSocket.BINARY, randomBytes(random, 1 + random.nextInt(100)), true, null);
                }
            }
        }

        private static byte[] randomClosePayload(SplittableRandom random) {
            int[] codes = {0, 999, 1000, 1001, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 3000, 4999, 5000, 65535};
            return switch (random.nextInt(4)) {
                case 0 -> new byte[0];
                case 1 -> new byte[] {(byte) random.nextInt(256)};
                case 2 ->
                    RawWebSocket.closePayload(
                            codes[random.nextInt(codes.length)], randomBytes(random, random.nextInt(124)));
                default ->
                    RawWebSocket.closePayload(
                            random.nextInt(65536),
                            asciiGarbage(random, random.nextInt(30)).getBytes(StandardCharsets.UTF_8));
            };
        }

        private static byte[] mutateBytes(byte[] bytes, SplittableRandom random, List<String> mutations, int count) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] current = bytes;
            for (int m = 0; m < count && current.length > 0; m++) {
                int at = random.nextInt(current.length);
                out.reset();
                switch (random.nextInt(3)) {
                    case 0 -> {
                        current = current.clone();
                        int bit = random.nextInt(8);
                        current[at] ^= (byte) (1 << bit);
                        mutations.add("bit " + bit + " of byte " + at + " flipped");
                        continue;
                    }
                    case 1 -> {
                        byte[] inserted = randomBytes(random, 1 + random.nextInt(8));
                        out.write(current, 0, at);
                        out.writeBytes(inserted);
                        out.write(current, at, current.length - at);
                        mutations.add(inserted.length + " bytes inserted at " + at);
                    }
                    default -> {
                        int length = Math.min(1 + random.nextInt(8), current.length - at);
                        out.write(current, 0, at);
                        out.write(current, at + length, current.length - at - length);
                        mutations.add(length + " bytes deleted at " + at);
                    }
                }
                current = out.toByteArray();
            }
            return current;
        }

        private static String randomKey(SplittableRandom random) {
            return Base64.getEncoder().encodeToString(randomBytes(random, 16));
        }

        private static byte[] randomBytes(SplittableRandom random, int length) {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                bytes[i] = (byte) random.nextInt(256);
            }
            return bytes;
        }

        private static String asciiGarbage(SplittableRandom random, int length) {
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                text.append((char) (0x20 + random.nextInt(0x5F)));
            }
            return text.toString();
        }

        String describe() {
            String requestLine = new String(this.request, StandardCharsets.ISO_8859_1).split("\r?\n", 2)[0];
            return "request line \"" + Connection.printable(requestLine) + "\", " + shown(this.request) + " "
                    + this.requestMutations
                    + (this.afterHead.length > 0 ? ", then " + shown(this.afterHead) : "")
                    + "; frames " + shown(this.frames) + " " + this.frameMutations
                    + (this.finAfterFrames ? ", then FIN" : "");
        }

        private static String shown(byte[] bytes) {
            int shown = Math.min(bytes.length, 160);
            return bytes.length + " bytes " + HexFormat.of().formatHex(bytes, 0, shown)
                    + (shown < bytes.length ? "..." : "");
        }
    }

    /**
     * A frame to encode, masked with a key from the case's random (so a replay sends the same bytes);
     * {@code declaredLength}, when not null, is written (64-bit form; 126 in the 16-bit form) instead of the real
     * length, followed by at most 1 KiB of payload: the rest never comes.
     */
    private record Frame(boolean fin, int rsv, int opcode, byte[] payload, boolean masked, Long declaredLength) {

        byte[] encode(SplittableRandom random) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream(this.payload.length + 14);
            frame.write((this.fin ? 0x80 : 0) | ((this.rsv & 0x7) << 4) | (this.opcode & 0xF));
            int maskBit = this.masked ? 0x80 : 0;
            byte[] payload = this.payload;
            if (this.declaredLength != null) {
                if (this.declaredLength == 126) {
                    // A 16-bit length field for a length that fits 7 bits: a non-minimal encoding.
                    frame.write(maskBit | 126);
                    frame.writeBytes(
                            ByteBuffer.allocate(2).putShort((short) 126).array());
                } else {
                    frame.write(maskBit | 127);
                    frame.writeBytes(
                            ByteBuffer.allocate(8).putLong(this.declaredLength).array());
                }
                payload = java.util.Arrays.copyOf(payload, Math.min(payload.length, 1024));
            } else if (payload.length <= 125) {
                frame.write(maskBit | payload.length);
            } else if (payload.length <= 0xFFFF) {
                frame.write(maskBit | 126);
                frame.writeBytes(
                        ByteBuffer.allocate(2).putShort((short) payload.length).array());
            } else {
                frame.write(maskBit | 127);
                frame.writeBytes(ByteBuffer.allocate(8).putLong(payload.length).array());
            }
            if (!this.masked) {
                frame.writeBytes(payload);
                return frame.toByteArray();
            }
            byte[] mask = new byte[4];
            for (int i = 0; i < 4; i++) {
                mask[i] = (byte) random.nextInt(256);
            }
            frame.writeBytes(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.write(payload[i] ^ mask[i % 4]);
            }
            return frame.toByteArray();
        }
    }

    /** Plays one {@link FuzzCase} over a socket and judges what the gateway did: an outcome, or "FAIL why". */
    private static final class Connection {

        private final int port;

        private final FuzzCase fuzzCase;

        private Socket socket;

        private InputStream in;

        private long deadline;

        Connection(int port, FuzzCase fuzzCase) {
            this.port = port;
            this.fuzzCase = fuzzCase;
        }

        String run() throws IOException {
            try (Socket socket = new Socket()) {
                this.socket = socket;
                socket.connect(new InetSocketAddress("127.0.0.1", this.port), (int) BOUND.toMillis());
                socket.setTcpNoDelay(true);
                this.in = socket.getInputStream();
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                first.writeBytes(this.fuzzCase.request());
                first.writeBytes(this.fuzzCase.afterHead());
                if (!write(first.toByteArray())) {
                    return "ended while the request was sent";
                }
                this.deadline = System.nanoTime() + ANSWER_WAIT.toNanos();
                byte[] head = readHead();
                if (head == null) {
                    // No complete answer yet: the gateway may be waiting for the rest of a head. A FIN ends it.
                    shutdownOutput();
                    this.deadline = System.nanoTime() + BOUND.toNanos();
                    head = readHead();
                    if (head == null) {
                        return "FAIL no answer and the connection still open " + BOUND.toSeconds()
                                + " s after the client's FIN";
                    }
                }
                if (head.length == 0) {
                    return "ended without an answer";
                }
                String text = new String(head, StandardCharsets.ISO_8859_1);
                String statusLine = text.split("\r\n", 2)[0];
                if (!text.endsWith("\r\n\r\n")) {
                    return "FAIL an answer cut short: " + printable(text);
                }
                if (!STATUS_LINE.matcher(statusLine).matches()) {
                    return "FAIL a malformed status line: " + printable(statusLine);
                }
                int status = Integer.parseInt(statusLine.substring(9, 12));
                String version = statusLine.substring(0, 8);
                String note = "";
                if (!version.equals("HTTP/1.1") && requestVersion().equals("HTTP/1.1")) {
                    return "FAIL a " + version + " answer to an HTTP/1.1 request: " + printable(statusLine);
                }
                if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
                    // A finding (a version no HTTP/1.1 server speaks should get 505), counted apart.
                    note = " answered as " + version + " to " + requestVersion();
                }
                if (status != 101) {
                    shutdownOutput();
                    this.deadline = System.nanoTime() + BOUND.toNanos();
                    String end = awaitEnd();
                    return end != null ? "FAIL status " + status + ", then " + end : "status " + status + note;
                }
                String refused = upgradeRefusal(text);
                if (refused != null) {
                    return "FAIL 101 for " + refused + ": " + printable(text);
                }
                return afterUpgrade(text.toLowerCase(Locale.ROOT).contains("sec-websocket-extensions:"));
            }
        }

        /** The version at the end of the request line as sent (mutations may have changed it). */
        private String requestVersion() {
            String line = new String(this.fuzzCase.request(), StandardCharsets.ISO_8859_1).split("\r?\n", 2)[0];
            return line.substring(line.lastIndexOf(' ') + 1);
        }

        /** Why this exchange must not be a 101, or null. */
        private String upgradeRefusal(String response) {
            if (this.fuzzCase.mustNotUpgrade()) {
                return "an invalid upgrade " + this.fuzzCase.requestMutations();
            }
            String accept = null;
            for (String line : response.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-accept:")) {
                    accept = line.substring(line.indexOf(':') + 1).trim();
                }
            }
            if (accept == null) {
                return "no Sec-WebSocket-Accept";
            }
            for (String key : sentKeys()) {
                // Netty hashes a key with bytes past ASCII as US-ASCII ('?' for each): a key mutated so is not a
                // wrong accept.
                if (accept.equals(accept(key, StandardCharsets.ISO_8859_1))
                        || accept.equals(accept(key, StandardCharsets.US_ASCII))) {
                    return null;
                }
            }
            return "an accept that matches no key sent";
        }

        /** The keys as sent (byte mutations may have changed them), read back from the request. */
        private List<String> sentKeys() {
            List<String> keys = new ArrayList<>();
            for (String line : new String(this.fuzzCase.request(), StandardCharsets.ISO_8859_1).split("\r?\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("sec-websocket-key")) {
                    keys.add(line.substring(colon + 1).trim());
                }
            }
            return keys;
        }

        private String afterUpgrade(boolean extensionNegotiated) throws IOException {
            boolean written = write(this.fuzzCase.frames());
            if (this.fuzzCase.finAfterFrames() || !written) {
                shutdownOutput();
            }
            this.deadline = System.nanoTime() + BOUND.toNanos();
            boolean closed = false;
            int closeCode = 0;
            while (true) {
                int first = readByte();
                if (first == -1) {
                    return closed ? "101, close " + bucket(closeCode) : "101, ended without a close frame";
                }
                if (first == -2) {
                    return "FAIL after a 101, the connection still open " + BOUND.toSeconds()
                            + " s after the client's last byte" + (closed ? " (a close " + closeCode + " came)" : "");
                }
                if (closed) {
                    return "FAIL a frame after the close frame (first byte " + first + ")";
                }
                int second = readByte();
                if (second < 0) {
                    return second == -1 ? "101, ended mid-frame" : "FAIL a frame cut short, connection open";
                }
                int opcode = first & 0xF;
                int rsv = (first >>> 4) & 0x7;
                boolean fin = (first & 0x80) != 0;
                if ((second & 0x80) != 0) {
                    return "FAIL a masked frame from the gateway";
                }
                if (rsv != 0 && !(rsv == 4 && extensionNegotiated)) {
                    return "FAIL reserved bits " + rsv + " from the gateway";
                }
                if (opcode > 2
                        && opcode != RawWebSocket.CLOSE
                        && opcode != RawWebSocket.PING
                        && opcode != RawWebSocket.PONG) {
                    return "FAIL reserved opcode " + opcode + " from the gateway";
                }
                long length = second & 0x7F;
                if (length >= 126) {
                    byte[] field = readN(length == 126 ? 2 : 8);
                    if (field == null) {
                        return "101, ended mid-frame";
                    }
                    length = 0;
                    for (byte b : field) {
                        length = (length << 8) | (b & 0xFF);
                    }
                }
                if (opcode >= 8 && (length > 125 || !fin)) {
                    return "FAIL an invalid control frame from the gateway (opcode " + opcode + ", " + length + " B)";
                }
                if (length < 0 || length > 4L << 20) {
                    return "FAIL a frame of " + Long.toUnsignedString(length) + " bytes from the gateway";
                }
                byte[] payload = readN((int) length);
                if (payload == null) {
                    return "101, ended mid-frame";
                }
                if (opcode == RawWebSocket.CLOSE) {
                    String invalid = invalidClose(payload);
                    if (invalid != null) {
                        return "FAIL " + invalid;
                    }
                    closed = true;
                    closeCode = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
                    // The gateway half-closes after its close frame and waits for ours (or 2 s).
                    write(RawWebSocket.encode(
                            true, 0, RawWebSocket.CLOSE, RawWebSocket.closePayload(closeCode, new byte[0]), true));
                    this.deadline = System.nanoTime() + BOUND.toNanos();
                }
            }
        }

        private static String invalidClose(byte[] payload) {
            if (payload.length == 0) {
                return "an empty close frame (read as 1005)";
            }
            if (payload.length == 1) {
                return "a close frame with a 1-byte payload";
            }
            int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
            boolean sendable =
                    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
            if (!sendable) {
                return "close code " + code + ", which no endpoint may send";
            }
            try {
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(payload, 2, payload.length - 2));
            } catch (CharacterCodingException ex) {
                return "close " + code + " with a reason that is not UTF-8";
            }
            return null;
        }

        private static String bucket(int code) {
            return code >= 3000 ? code / 1000 + "xxx" : String.valueOf(code);
        }

        /** Writes; false if the gateway has already ended the connection. */
        private boolean write(byte[] bytes) {
            try {
                OutputStream out = this.socket.getOutputStream();
                out.write(bytes);
                out.flush();
                return true;
            } catch (IOException ex) {
                return false;
            }
        }

        private void shutdownOutput() {
            try {
                if (!this.socket.isOutputShutdown()) {
                    this.socket.shutdownOutput();
                }
            } catch (IOException ex) {
                // Already reset by the gateway.
            }
        }

        /**
         * The response head up to and including the empty line, or what came before the end of the stream (empty
         * if nothing), or null if the deadline passed first.
         */
        private byte[] readHead() {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (true) {
                int b = readByte();
                if (b == -1) {
                    return head.toByteArray();
                }
                if (b == -2) {
                    return null;
                }
                head.write(b);
                byte[] bytes = head.toByteArray();
                int n = bytes.length;
                if (n >= 4
                        && bytes[n - 4] == '\r'
                        && bytes[n - 3] == '\n'
                        && bytes[n - 2] == '\r'
                        && bytes[n - 1] == '\n') {
                    return bytes;
                }
                if (n > 64 << 10) {
                    return bytes;
                }
            }
        }

        /** Null if the connection ended before the deadline, else what happened. */
        private String awaitEnd() {
            while (true) {
                int b = readByte();
                if (b == -1) {
                    return null;
                }
                if (b == -2) {
                    return "the connection still open " + BOUND.toSeconds() + " s after the client's FIN";
                }
            }
        }

        private byte[] readN(int length) {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                int b = readByte();
                if (b < 0) {
                    return null;
                }
                bytes[i] = (byte) b;
            }
            return bytes;
        }

        /** The next byte, -1 at the end of the stream (or a reset), -2 when the deadline passed. */
        private int readByte() {
            long left = TimeUnit.NANOSECONDS.toMillis(this.deadline - System.nanoTime());
            if (left <= 0) {
                return -2;
            }
            try {
                this.socket.setSoTimeout((int) Math.max(1, left));
                return this.in.read();
            } catch (SocketTimeoutException ex) {
                return -2;
            } catch (IOException ex) {
                return -1;
            }
        }

        private static String accept(String key, java.nio.charset.Charset charset) {
            try {
                return Base64.getEncoder()
                        .encodeToString(MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(charset)));
            } catch (NoSuchAlgorithmException ex) {
                throw new IllegalStateException(ex);
            }
        }

        private static String printable(String text) {
            String shown = text.length() > 300 ? text.substring(0, 300) + "..." : text;
            return shown.replace("\r", "\\r").replace("\n", "\\n");
        }
    }

    /** A healthy session on another route that sends and checks an echo in a loop until stopped. */
    private static final class SideSession {

        final AtomicLong echoes = new AtomicLong();

        final AtomicLong longestGapMillis = new AtomicLong();

        final java.util.concurrent.atomic.AtomicReference<Throwable> error =
                new java.util.concurrent.atomic.AtomicReference<>();

        private final AtomicBoolean running = new AtomicBoolean(true);

        private JdkWebSocketClient client;

        private CompletableFuture<Void> loop;

        static SideSession start(URI uri) {
            SideSession side = new SideSession();
            side.client = JdkWebSocketClient.connect(uri);
            side.loop = CompletableFuture.runAsync(() -> {
                long last = System.nanoTime();
                try {
                    while (side.running.get()) {
                        String text = "side " + side.echoes.get();
                        side.client.sendText(text);
                        assertThat(side.client.nextText()).isEqualTo(text);
                        long now = System.nanoTime();
                        side.longestGapMillis.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(now - last), Math::max);
                        last = now;
                        side.echoes.incrementAndGet();
                        Thread.sleep(20);
                    }
                } catch (Throwable ex) {
                    side.error.set(ex);
                }
            });
            return side;
        }

        void stop() throws Exception {
            long before = this.echoes.get();
            long until = System.nanoTime() + BOUND.toNanos();
            while (this.echoes.get() < before + 2 && this.error.get() == null && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            this.running.set(false);
            this.loop.get(Gateway.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(this.echoes.get()).as("side echoes after the fuzz").isGreaterThanOrEqualTo(before + 2);
            this.client.close(1000, "done");
        }
    }

    /**
     * Samples this JVM's (the gateway's) memory until stopped: the heap as left by each garbage collection (what is
     * retained, not garbage yet to collect) and Netty's direct memory, each as peak minus the start.
     */
    private static final class MemoryWatch {

        final Peak heap = new Peak();

        final Peak direct = new Peak();

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final List<Runnable> unregister = new ArrayList<>();

        private Thread thread;

        static MemoryWatch start() {
            System.gc();
            MemoryWatch watch = new MemoryWatch();
            watch.heap.start(
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            watch.direct.start(nettyDirect());
            NotificationListener afterGc = (notification, handback) -> {
                if (notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    GarbageCollectionNotificationInfo info =
                            GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                    watch.heap.add(info.getGcInfo().getMemoryUsageAfterGc().values().stream()
                                    .mapToLong(MemoryUsage::getUsed)
                                    .sum()
                            - nonHeap(info.getGcInfo().getMemoryUsageAfterGc()));
                }
            };
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter emitter) {
                    emitter.addNotificationListener(afterGc, null, null);
                    watch.unregister.add(() -> {
                        try {
                            emitter.removeNotificationListener(afterGc);
                        } catch (Exception ex) {
                            // Already gone.
                        }
                    });
                }
            }
            watch.thread = new Thread(
                    () -> {
                        while (watch.running.get()) {
                            watch.direct.add(nettyDirect());
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException ex) {
                                return;
                            }
                        }
                    },
                    "fuzz-memory-watch");
            watch.thread.setDaemon(true);
            watch.thread.start();
            return watch;
        }

        /** The non-heap pools in a GC's usage map (code cache, metaspace...), which the heap figure leaves out. */
        private static long nonHeap(Map<String, MemoryUsage> usage) {
            long nonHeap = 0;
            for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == java.lang.management.MemoryType.NON_HEAP && usage.containsKey(pool.getName())) {
                    nonHeap += usage.get(pool.getName()).getUsed();
                }
            }
            return nonHeap;
        }

        private static long nettyDirect() {
            return Math.max(
                    Math.max(0, PlatformDependent.usedDirectMemory()),
                    PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory());
        }

        void stop() throws InterruptedException {
            this.running.set(false);
            this.thread.join(BOUND.toMillis());
            this.direct.add(nettyDirect());
            System.gc();
            this.heap.add(
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            this.unregister.forEach(Runnable::run);
        }
    }

    private static final class Peak {

        private volatile long start;

        private final AtomicLong peak = new AtomicLong();

        void start(long value) {
            this.start = value;
            this.peak.set(value);
        }

        void add(long value) {
            this.peak.accumulateAndGet(value, Math::max);
        }

        long growth() {
            return Math.max(0, this.peak.get() - this.start);
        }
    }
}
