package io.wsgate.session;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A client flooding far past its route's message rate under {@code rate-limit-action: throttle} for a long stretch:
 * the gateway stops reading it (TCP backpressure), so what it holds for that session stays bounded whatever the client
 * tries to send, the backend receives at the limit, another session on the same route keeps its round trips, and the
 * other direction of the throttled session keeps flowing at full speed.
 */
@GatewayTest
class MessageRateFloodIntegrationTests {

    private static final int RATE = 20;

    private static final int MESSAGE = 4096;

    private static final Duration FLOOD = Duration.ofSeconds(10);

    /** Loopback socket buffers hold a few MiB; a gateway that kept reading would take gigabytes in 10 s. */
    private static final long BOUND = 32L * 1024 * 1024;

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry)
                .add("flooded", "ws://127.0.0.1:" + backend.port(), "/flooded/**")
                .metadata("message-rate-client-to-backend", RATE + "/s")
                .metadata("rate-limit-action", "throttle");
    }

    @Test
    void aFloodingClientCostsABoundedAmountAndTheBackendReceivesAtTheLimit() throws Exception {
        try (RawWebSocket flooder = RawWebSocket.connect(this.port, "/flooded/room?t=flood")) {
            assertThat(flooder.handshake().status()).isEqualTo(101);
            Drain echoes = Drain.start(flooder);
            JdkWebSocketClient calm =
                    JdkWebSocketClient.connect(URI.create("ws://127.0.0.1:" + this.port + "/flooded/room?t=calm"));
            NettyPeak netty = NettyPeak.start();

            Flood flood = Flood.start(flooder);
            long start = System.nanoTime();
            ScriptedBackend.Recorded received = backend.session("flood");
            // A well-behaved session on the same route keeps its round trips during the flood.
            int roundTrips = 0;
            long middleCount = -1;
            long middle = 0;
            while (System.nanoTime() - start < FLOOD.toNanos()) {
                calm.sendText("calm " + roundTrips);
                assertThat(calm.nextText()).isEqualTo("calm " + roundTrips);
                roundTrips++;
                if (middleCount < 0 && System.nanoTime() - start > FLOOD.toNanos() / 2) {
                    middleCount = received.messages().size();
                    middle = System.nanoTime();
                }
                Thread.sleep(250);
            }
            long end = System.nanoTime();
            int atEnd = received.messages().size();
            long peakNetty = netty.stop();
            long written = flood.stop();

            double seconds = (end - start) / 1e9;
            double secondHalf = (end - middle) / 1e9;
            System.out.printf(
                    "flood: client wrote %.1f MiB in %.1f s; backend received %d messages (%.1f/s in the second half);"
                            + " Netty buffers peak growth %.1f MiB; calm session %d round trips%n",
                    written / 1048576.0,
                    seconds,
                    atEnd,
                    (atEnd - middleCount) / secondHalf,
                    peakNetty / 1048576.0,
                    roundTrips);
            // What the client got rid of: what reached the backend, socket buffers and at most two held messages.
            assertThat(written).isLessThan(BOUND);
            assertThat(peakNetty).isLessThan(BOUND);
            // At the limit: the burst (RATE) plus RATE per second, never more; and still flowing.
            assertThat((long) atEnd).isLessThanOrEqualTo(RATE + Math.round(RATE * seconds * 1.1) + 2);
            assertThat(atEnd - middleCount).isGreaterThan(RATE);
            assertThat(roundTrips).isGreaterThanOrEqualTo(10);
            calm.close(1000, "");
            echoes.stop();
        }
    }

    @Test
    void theOtherDirectionKeepsFlowingWhileTheClientIsThrottled() throws Exception {
        int streamed = 2000;
        int streamedSize = 16 * 1024;
        try (RawWebSocket client = RawWebSocket.connect(this.port, "/flooded/room?t=both-ways")) {
            assertThat(client.handshake().status()).isEqualTo(101);
            Drain drain = Drain.start(client, streamedSize);
            // The backend streams 32 MiB to the client as fast as it is taken, while the client floods.
            client.sendText("stream:" + streamed + ":" + streamedSize);
            Flood flood = Flood.start(client);
            await().atMost(TIMEOUT.multipliedBy(2)).until(() -> drain.counted.get() >= streamed);
            assertThat(flood.sending.isDone())
                    .as("the client is still held back")
                    .isFalse();
            assertThat(backend.session("both-ways").messages().size())
                    .isLessThanOrEqualTo(
                            RATE + RATE * (int) TIMEOUT.multipliedBy(2).toSeconds());
            flood.stop();
            drain.stop();
        }
    }

    /** Writes 4 KiB binary messages back to back until stopped; the bytes the socket took. */
    private static final class Flood {

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final AtomicLong written = new AtomicLong();

        private final RawWebSocket socket;

        private CompletableFuture<Void> sending;

        private Flood(RawWebSocket socket) {
            this.socket = socket;
        }

        static Flood start(RawWebSocket socket) {
            Flood flood = new Flood(socket);
            byte[] frame = RawWebSocket.encode(true, 0, RawWebSocket.BINARY, new byte[MESSAGE], true);
            flood.sending = CompletableFuture.runAsync(() -> {
                try {
                    while (flood.running.get()) {
                        socket.writeRaw(frame);
                        flood.written.addAndGet(frame.length);
                    }
                } catch (UncheckedIOException ex) {
                    // The socket closed under a blocked write: the end of the flood.
                }
            });
            return flood;
        }

        /** Stops the flood (closing the socket if a write is blocked) and returns the bytes written. */
        long stop() {
            this.running.set(false);
            try {
                this.sending.get(2, TimeUnit.SECONDS);
            } catch (Exception blocked) {
                this.socket.close();
                this.sending.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
            }
            return this.written.get();
        }
    }

    /** Reads what the gateway sends the client, counting binary messages of one size. */
    private static final class Drain {

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final AtomicLong counted = new AtomicLong();

        private CompletableFuture<Void> reading;

        static Drain start(RawWebSocket socket) {
            return start(socket, -1);
        }

        static Drain start(RawWebSocket socket, int size) {
            Drain drain = new Drain();
            drain.reading = CompletableFuture.runAsync(() -> {
                try {
                    while (drain.running.get()) {
                        RawWebSocket.Frame frame = socket.readFrame();
                        if (frame.opcode() == RawWebSocket.CLOSE) {
                            return;
                        }
                        if (frame.opcode() == RawWebSocket.BINARY && frame.payload().length == size) {
                            drain.counted.incrementAndGet();
                        }
                    }
                } catch (RuntimeException | AssertionError ex) {
                    // The socket closed at the end of the test.
                }
            });
            return drain;
        }

        void stop() {
            this.running.set(false);
        }
    }

    /** The peak growth of Netty's pooled buffers (heap and direct), sampled on a thread. */
    private static final class NettyPeak {

        private final ByteBufAllocatorMetric metric =
                ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final AtomicLong peak = new AtomicLong();

        private long start;

        private Thread thread;

        static NettyPeak start() {
            NettyPeak watch = new NettyPeak();
            watch.start = watch.used();
            watch.thread = new Thread(() -> {
                while (watch.running.get()) {
                    watch.peak.accumulateAndGet(watch.used(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
            });
            watch.thread.setDaemon(true);
            watch.thread.start();
            return watch;
        }

        private long used() {
            return this.metric.usedHeapMemory() + this.metric.usedDirectMemory();
        }

        long stop() throws InterruptedException {
            this.running.set(false);
            this.thread.join(TIMEOUT.toMillis());
            return Math.max(0, this.peak.get() - this.start);
        }
    }
}
