package io.wsgate.pipeline;

import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.internal.PlatformDependent;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawWebSocket;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * What one hostile peer can make the gateway hold, measured while it attacks: a compressed bomb from a client and
 * from a backend (a 510 KB permessage-deflate frame of 512 MiB of zeros), a storm of 1-byte fragments and a ping
 * flood. Each attacker gets its close code, the gateway's heap, Netty buffers and direct memory grow by a bounded
 * amount meanwhile (sampled on a thread of this JVM, where the gateway runs), and a session on another route keeps
 * echoing throughout. The figures are printed and quoted in docs/security.md.
 */
@GatewayTest(
        properties = {
            "wsgate.proxy.compression=true",
            // No health probes: the bombing backend records the closes of the test's sessions only.
            "wsgate.health.enabled=false",
            "spring.cloud.gateway.server.webflux.httpclient.websocket.max-frame-payload-length=1048576"
        })
class HostilePeerMemoryIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final int MAX_MESSAGE = 1 << 20;

    /** Peak growth allowed while an attack runs, for each of heap, Netty's buffers and direct memory. */
    private static final long BOUND = 64L << 20;

    private static final String DEFLATE = "Sec-WebSocket-Extensions: permessage-deflate";

    /** 512 MiB of zeros, deflated (RFC 7692: raw deflate, sync flush, the 00 00 ff ff tail removed). */
    private static byte[] bomb;

    @Backend
    static EchoBackend echo;

    private static DisposableServer bombingBackend;

    private static final BlockingQueue<String> bombingBackendCloses = new LinkedBlockingQueue<>();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        bombingBackend = startBombingBackend();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("attacked", "ws://127.0.0.1:" + echo.port(), "/attacked/**");
        routes.add("side", "ws://127.0.0.1:" + echo.port(), "/side/**");
        routes.add("bombing-backend", "ws://127.0.0.1:" + bombingBackend.port(), "/bombing-backend/**");
    }

    @BeforeAll
    static void deflateTheBomb() {
        bomb = deflatedZeros(512 << 20);
    }

    @AfterAll
    static void stopBombingBackend() {
        bombingBackend.disposeNow(TIMEOUT);
    }

    @Test
    void compressedBombFromAClientGets1009AndIsNeverInflated() {
        try (RawWebSocket attacker = RawWebSocket.connect(this.port, "/attacked/", DEFLATE)) {
            assertThat(attacker.handshake().header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate");
            var close = underAttack("compressed bomb from a client", () -> {
                attacker.send(true, 4, RawWebSocket.BINARY, bomb, true);
                return attacker.awaitClose();
            });
            assertThat(close.closeCode()).isEqualTo(1009);
            assertThat(close.closeReason()).contains("size limit");
        }
    }

    @Test
    void compressedBombFromABackendGetsThatBackend1009AndTheClient1001() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/bombing-backend/"));
        var close = underAttack("compressed bomb from a backend", () -> {
            client.sendText("bomb");
            return client.awaitClose();
        });
        assertThat(close).isEqualTo(new JdkWebSocketClient.Close(1001, "backend sent a message too big"));
        assertThat(poll(bombingBackendCloses)).startsWith("1009 ");
    }

    @Test
    void stormOfOneByteFragmentsGets1008() {
        try (RawWebSocket attacker = RawWebSocket.connect(this.port, "/attacked/")) {
            byte[] storm = fragments(200_000);
            var close = underAttack("1-byte fragment storm", () -> {
                CompletableFuture<Void> sending =
                        CompletableFuture.runAsync(() -> quietly(() -> attacker.writeChopped(storm, 64 << 10)));
                RawWebSocket.Frame closed = attacker.awaitClose();
                sending.join();
                return closed;
            });
            assertThat(close.closeCode()).isEqualTo(1008);
            assertThat(close.closeReason()).isEqualTo("more than 1024 fragments in one message");
        }
    }

    @Test
    void pingFloodGets1008() {
        try (RawWebSocket attacker = RawWebSocket.connect(this.port, "/attacked/")) {
            byte[] ping = RawWebSocket.encode(true, 0, RawWebSocket.PING, "flood".getBytes(), true);
            ByteArrayOutputStream pings = new ByteArrayOutputStream();
            for (int i = 0; i < 20_000; i++) {
                pings.writeBytes(ping);
            }
            var close = underAttack("ping flood", () -> {
                CompletableFuture<Void> sending = CompletableFuture.runAsync(
                        () -> quietly(() -> attacker.writeChopped(pings.toByteArray(), 4096)));
                RawWebSocket.Frame closed = attacker.awaitClose();
                sending.join();
                return closed;
            });
            assertThat(close.closeCode()).isEqualTo(1008);
            assertThat(close.closeReason()).isEqualTo("more than 100 pings and pongs per second");
        }
    }

    /**
     * Runs an attack until the attacker is closed and returns what it returned (the attacker's close), having
     * checked that a session on another route echoed during and after it and that memory grew less than the bound.
     */
    private <T> T underAttack(String attack, java.util.concurrent.Callable<T> attackUntilClosed) {
        JdkWebSocketClient side = JdkWebSocketClient.connect(wsUri(this.port, "/side/"));
        AtomicLong echoes = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        CompletableFuture<Void> sideTraffic = CompletableFuture.runAsync(() -> {
            while (running.get()) {
                side.sendText("still here");
                assertThat(side.nextText()).isEqualTo("STILL HERE");
                echoes.incrementAndGet();
            }
        });
        await().atMost(TIMEOUT).until(() -> echoes.get() >= 3);
        T close;
        MemoryWatch memory = MemoryWatch.start();
        try {
            long before = echoes.get();
            close = attackUntilClosed.call();
            // The side session echoed during the attack, and still does after it.
            await().atMost(TIMEOUT).until(() -> echoes.get() >= before + 3 || sideTraffic.isDone());
        } catch (Exception ex) {
            throw new AssertionError(attack + " failed", ex);
        } finally {
            memory.stop();
            running.set(false);
        }
        sideTraffic.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        side.close(1000, "done");
        System.out.printf(
                "%s: peak growth heap %.1f MiB, Netty buffers %.1f MiB, direct %.1f MiB (Netty's count %.1f MiB)%n",
                attack,
                mib(memory.heap.growth()),
                mib(memory.netty.growth()),
                mib(memory.direct.growth()),
                mib(memory.nettyDirect.growth()));
        assertThat(memory.heap.growth()).as(attack + ": heap growth").isLessThan(BOUND);
        assertThat(memory.netty.growth()).as(attack + ": Netty buffer growth").isLessThan(BOUND);
        assertThat(memory.direct.growth()).as(attack + ": direct memory growth").isLessThan(BOUND);
        assertThat(memory.nettyDirect.growth())
                .as(attack + ": Netty's direct memory growth")
                .isLessThan(BOUND);
        return close;
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static String poll(BlockingQueue<String> queue) {
        try {
            String value = queue.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(value).as("within " + TIMEOUT).isNotNull();
            return value;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** The gateway closes the attacker mid-send: the rest of the writes may fail. */
    private static void quietly(Runnable send) {
        try {
            send.run();
        } catch (UncheckedIOException ex) {
            // Connection closed by the gateway.
        }
    }

    /** A text message of {@code count} 1-byte fragments. */
    private static byte[] fragments(int count) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream(count * 7);
        frames.writeBytes(RawWebSocket.encode(false, 0, RawWebSocket.TEXT, new byte[] {'a'}, true));
        for (int i = 1; i < count; i++) {
            frames.writeBytes(
                    RawWebSocket.encode(i == count - 1, 0, RawWebSocket.CONTINUATION, new byte[] {'a'}, true));
        }
        return frames.toByteArray();
    }

    private static byte[] deflatedZeros(int size) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] zeros = new byte[1 << 20];
        byte[] buffer = new byte[64 << 10];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int fed = 0; fed < size; fed += zeros.length) {
            deflater.setInput(zeros);
            int n;
            while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH)) > 0) {
                out.write(buffer, 0, n);
            }
        }
        int n;
        while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buffer, 0, n);
            if (n < buffer.length) {
                break;
            }
        }
        deflater.end();
        byte[] deflated = out.toByteArray();
        // RFC 7692 section 7.2.1: the sync flush's empty block 00 00 ff ff is not sent.
        return Arrays.copyOf(deflated, deflated.length - 4);
    }

    /**
     * A backend that negotiates permessage-deflate (Reactor Netty) and answers any text message with the bomb,
     * already compressed (RSV1 set, so its deflate encoder sends it as it is); it records the close it gets.
     */
    private static DisposableServer startBombingBackend() {
        WebsocketServerSpec spec = WebsocketServerSpec.builder()
                .compress(true)
                .maxFramePayloadLength(MAX_MESSAGE)
                .build();
        return HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes.ws(
                        "/",
                        (in, out) -> {
                            in.receiveCloseStatus()
                                    .subscribe(status ->
                                            bombingBackendCloses.add(status.code() + " " + status.reasonText()));
                            return out.sendObject(in.receiveFrames()
                                            .filter(frame -> frame instanceof TextWebSocketFrame)
                                            .map(frame ->
                                                    new BinaryWebSocketFrame(true, 4, Unpooled.wrappedBuffer(bomb))))
                                    .then(Mono.never());
                        },
                        spec))
                .bindNow();
    }

    /** Samples the gateway JVM's memory on a thread until stopped; growth is the peak minus the start. */
    private static final class MemoryWatch {

        private final Peak heap = new Peak();

        private final Peak netty = new Peak();

        private final Peak direct = new Peak();

        private final Peak nettyDirect = new Peak();

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

        private final BufferPoolMXBean directPool =
                ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                        .filter(pool -> pool.getName().equals("direct"))
                        .findFirst()
                        .orElseThrow();

        private final ByteBufAllocatorMetric allocator =
                ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();

        private Thread thread;

        static MemoryWatch start() {
            System.gc();
            MemoryWatch watch = new MemoryWatch();
            watch.sample(true);
            watch.thread = new Thread(
                    () -> {
                        while (watch.running.get()) {
                            watch.sample(false);
                            try {
                                Thread.sleep(1);
                            } catch (InterruptedException ex) {
                                return;
                            }
                        }
                    },
                    "memory-watch");
            watch.thread.setDaemon(true);
            watch.thread.start();
            return watch;
        }

        private void sample(boolean first) {
            this.heap.add(this.memory.getHeapMemoryUsage().getUsed(), first);
            this.netty.add(this.allocator.usedHeapMemory() + this.allocator.usedDirectMemory(), first);
            this.direct.add(this.directPool.getMemoryUsed(), first);
            this.nettyDirect.add(Math.max(0, PlatformDependent.usedDirectMemory()), first);
        }

        void stop() {
            this.running.set(false);
            try {
                this.thread.join(TIMEOUT.toMillis());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            sample(false);
        }
    }

    private static final class Peak {

        private long start;

        private long peak;

        void add(long value, boolean first) {
            if (first) {
                this.start = value;
            }
            this.peak = Math.max(this.peak, value);
        }

        long growth() {
            return Math.max(0, this.peak - this.start);
        }
    }
}
