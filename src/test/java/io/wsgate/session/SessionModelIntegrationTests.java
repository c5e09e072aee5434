package io.wsgate.session;

import static io.wsgate.support.RawWebSocket.CLOSE;
import static io.wsgate.support.RawWebSocket.PING;
import static io.wsgate.support.RawWebSocket.PONG;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.session.SessionModel.Action;
import io.wsgate.session.SessionModel.Message;
import io.wsgate.session.SessionModel.Sequence;
import io.wsgate.session.SessionOracle.Observed;
import io.wsgate.session.SessionOracle.Verdict;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A model-based randomized test of the session lifecycle: each seed gives a sequence of client and backend actions
 * ({@link SessionModel}: messages of every size, fragments with pings between them, pings, pongs, valid and invalid
 * closes, each class of protocol violation, invalid UTF-8, messages over the limit, TCP FIN and reset on either side,
 * backend closes and streams, a client that stops reading, waits past an idle timeout), run through the real gateway
 * with real sockets: the raw-frame client on one side, the scripted backend on the other. The {@link SessionOracle}
 * then checks what each peer received, how each connection ended and what the meters counted.
 *
 * <p>A failure prints its seed and its actions; {@code -Dwsgate.model.seed=SEED} replays that sequence alone (its
 * actions and payloads are the same, only the timing of the sockets is not). {@code -Dwsgate.model.sequences=N} runs N
 * sequences instead of the default, {@code -Dwsgate.model.workers=W} runs W of them at once (each on routes of its
 * own, so that the meters of a route tell one sequence's ending).
 */
@GatewayTest(properties = "logging.level.wsgate.session=WARN")
class SessionModelIntegrationTests {

    /** Sequences in a normal build: about a minute on a 2-core machine. */
    private static final int DEFAULT_SEQUENCES = 150;

    private static final int SEQUENCES = Integer.getInteger("wsgate.model.sequences", DEFAULT_SEQUENCES);

    private static final Long SEED = Long.getLong("wsgate.model.seed");

    private static final int WORKERS = Integer.getInteger("wsgate.model.workers", 4);

    /** How long a session may take to end once its sequence is done: the gateway's own bound is 5 s per leg. */
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** The longest a sequence may run at all; past it, its sockets are closed and it fails as hung. */
    private static final Duration HARD_BOUND = Duration.ofSeconds(90);

    private static final int FAILURES_SHOWN = 10;

    @Backend
    static ScriptedBackend backend;

    /** Sessions a failed sequence left open on its route, which the next sequences there start from. */
    private final Map<String, Double> leftOpen = new ConcurrentHashMap<>();

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        for (int worker = 0; worker < WORKERS; worker++) {
            routes.add(route(worker, false), "ws://127.0.0.1:" + backend.port(), "/" + route(worker, false) + "/**");
            routes.add(route(worker, true), "ws://127.0.0.1:" + backend.port(), "/" + route(worker, true) + "/**")
                    .metadata("idle-timeout", SessionModel.IDLE_TIMEOUT_MILLIS + "ms");
        }
    }

    private static String route(int worker, boolean idle) {
        return (idle ? "model-idle-" : "model-") + worker;
    }

    @Test
    void randomSequencesOfBothPeersEndAsTheModelSays() throws Exception {
        List<Long> seeds = new ArrayList<>();
        if (SEED != null) {
            seeds.add(SEED);
        } else {
            long base = new SplittableRandom().nextLong();
            System.out.printf("Session model: %d sequences from base seed %d, %d at once%n", SEQUENCES, base, WORKERS);
            SplittableRandom random = new SplittableRandom(base);
            for (int i = 0; i < SEQUENCES; i++) {
                seeds.add(random.nextLong());
            }
        }
        AtomicInteger next = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        Map<String, LongAdder> endings = new ConcurrentHashMap<>();
        LongAdder lostBeforeClientClose = new LongAdder();
        long started = System.nanoTime();
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                running.add(workers.submit(() -> {
                    for (int i = next.getAndIncrement(); i < seeds.size(); i = next.getAndIncrement()) {
                        Sequence sequence = SessionModel.generate(seeds.get(i));
                        String failure;
                        try {
                            Verdict verdict = run(sequence, worker, watchdog);
                            if (verdict.passed()) {
                                endings.computeIfAbsent(verdict.ending().kind().toString(), k -> new LongAdder())
                                        .increment();
                                failure = null;
                            } else {
                                failure = String.join("\n  ", verdict.problems());
                            }
                        } catch (Throwable ex) {
                            failure = "the run failed: " + ex
                                    + (ex.getCause() != null ? ", caused by " + ex.getCause() : "");
                        }
                        if (failure != null) {
                            String report = "Sequence failed, replay with -Dwsgate.model.seed=" + sequence.seed()
                                    + "\n  " + failure + "\n" + sequence;
                            System.out.println(report);
                            failures.add(report);
                        }
                        int done = i + 1;
                        if (done % 500 == 0) {
                            System.out.printf(
                                    "Session model: %d sequences run, %d failed, %ds%n",
                                    done, failures.size(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
                        }
                    }
                }));
            }
            for (Future<?> worker : running) {
                worker.get();
            }
        } finally {
            workers.shutdownNow();
            watchdog.shutdownNow();
        }
        System.out.printf(
                "Session model: %d sequences in %ds, %d failed; first endings %s%n",
                seeds.size(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), failures.size(), endings);
        assertThat(failures)
                .as(
                        "%d of %d sequences failed; the first ones:%n%s",
                        failures.size(),
                        seeds.size(),
                        String.join("\n\n", failures.subList(0, Math.min(FAILURES_SHOWN, failures.size()))))
                .isEmpty();
    }

    /** Runs {@code sequence} on the routes of {@code worker} and judges what it saw. */
    private Verdict run(Sequence sequence, int worker, ScheduledExecutorService watchdog) throws Exception {
        String route = route(worker, sequence.idleRoute());
        String tag = Long.toHexString(sequence.seed()) + "-" + UUID.randomUUID();
        Map<List<String>, Double> closedBefore = closed(route);
        double baseline = this.leftOpen.getOrDefault(route, 0.0);
        ModelClient client = ModelClient.connect(this.port, "/" + route + "/?t=" + tag, sequence.receiveBuffer());
        ScheduledFuture<?> hung = watchdog.schedule(client::abort, HARD_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        try {
            assertThat(client.ws.handshake().status()).as("handshake").isEqualTo(101);
            ScriptedBackend.Recorded atBackend = backend.session(tag);
            Channel backendChannel = atBackend.awaitConnection().channel();
            client.startReading();
            for (Action action : sequence.actions()) {
                perform(action, client, atBackend);
            }
            String clientEnd = client.awaitEnd(BOUND);
            boolean backendEnded = backendChannel.closeFuture().await(BOUND.toMillis());
            Map<List<String>, Double> delta = awaitClosed(route, closedBefore);
            double active = awaitInactive(route) - baseline;
            if (active != 0) {
                // Reported once, by this sequence; the next ones on the route start from what it left.
                this.leftOpen.put(route, baseline + active);
            }
            if (client.aborted) {
                clientEnd = null;
            }
            Observed observed = new Observed(
                    List.copyOf(client.frames),
                    clientEnd,
                    client.reset,
                    client.wroteAfterClose,
                    atBackend.messages().stream().map(Message::of).toList(),
                    List.copyOf(atBackend.closeFrames()),
                    atBackend.framesAfterClose().get(),
                    atBackend.framesSentAfterClose().get(),
                    backendEnded,
                    delta,
                    active);
            Verdict verdict = SessionOracle.judge(sequence, observed);
            if (!verdict.passed()) {
                List<String> problems = new ArrayList<>(verdict.problems());
                problems.add("what was seen: " + observed);
                problems.add("candidate endings: " + sequence.candidates() + ", route " + route);
                return new Verdict(verdict.ending(), problems);
            }
            return verdict;
        } finally {
            hung.cancel(false);
            client.abort();
            backend.forget(tag);
            // After a run that broke off, its session must not end, and be counted, during the next one on the route.
            awaitInactive(route);
        }
    }

    private static void perform(Action action, ModelClient client, ScriptedBackend.Recorded atBackend) {
        switch (action.kind()) {
            case CLIENT_WRITE -> {
                for (byte[] frame : action.frames()) {
                    if (!client.write(frame)) {
                        break;
                    }
                }
            }
            case CLIENT_FIN -> client.shutdownOutput();
            case CLIENT_RESET -> client.reset();
            case STOP_READING -> client.stopReading(Duration.ofMillis(action.millis()));
            case WAIT -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(action.millis()));
            case BACKEND_CLOSE -> onBackendLoop(atBackend, () -> atBackend.closeWith(action.code(), action.reason()));
            case BACKEND_DROP ->
                onBackendLoop(atBackend, () -> {
                    try {
                        atBackend.drop(action.reset());
                    } catch (RuntimeException ex) {
                        // Already closed: setting SO_LINGER on a closed socket fails; there is nothing left to drop.
                    }
                });
        }
    }

    /**
     * Runs a backend action on the backend connection's event loop and waits for it, so that it is on the wire before
     * anything the backend answers to the client's next actions (called from elsewhere, the write or close would only
     * be queued, and an echo read meanwhile could overtake it).
     */
    private static void onBackendLoop(ScriptedBackend.Recorded atBackend, Runnable action) {
        Channel channel = atBackend.awaitConnection().channel();
        if (!channel.isRegistered()) {
            // Closed and gone from its event loop already: nothing left to close or drop.
            return;
        }
        try {
            channel.eventLoop()
                    .submit(() -> {
                        try {
                            action.run();
                        } catch (IllegalStateException ex) {
                            // Closed and deregistered meanwhile.
                        }
                    })
                    .get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IllegalStateException ex) {
            // Deregistered meanwhile.
        } catch (Exception ex) {
            throw new IllegalStateException("the backend action did not run within " + BOUND, ex);
        }
    }

    /** The route's session closes counted so far, by [closed.by, close.code]. */
    private Map<List<String>, Double> closed(String route) {
        Map<List<String>, Double> counts = new HashMap<>();
        for (Counter counter : this.registry
                .find(WsgateMeterNames.SESSIONS_CLOSED)
                .tag("route", route)
                .counters()) {
            counts.merge(
                    List.of(counter.getId().getTag("closed.by"), counter.getId().getTag("close.code")),
                    counter.count(),
                    Double::sum);
        }
        return counts;
    }

    /** What the route counted since {@code before}, once it counted anything (or the bound passed). */
    private Map<List<String>, Double> awaitClosed(String route, Map<List<String>, Double> before) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            Map<List<String>, Double> delta = new HashMap<>();
            closed(route).forEach((key, count) -> {
                double increase = count - before.getOrDefault(key, 0.0);
                if (increase != 0) {
                    delta.put(key, increase);
                }
            });
            if (!delta.isEmpty() || System.nanoTime() > deadline) {
                return delta;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** The route's open sessions, once they are back at what earlier sequences left open (or the bound passed). */
    private double awaitInactive(String route) {
        double baseline = this.leftOpen.getOrDefault(route, 0.0);
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            Gauge gauge = this.registry
                    .find(WsgateMeterNames.SESSIONS_ACTIVE)
                    .tag("route", route)
                    .gauge();
            double active = gauge != null ? gauge.value() : 0;
            if (active <= baseline || System.nanoTime() > deadline) {
                return active;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /**
     * The client side of a sequence: the raw-frame client, with a reader of its own that records every frame, answers
     * pings and the first close frame it did not start (as real clients do, unless the client is gone), and can be
     * told to stop reading for a while. Writes come from the sequence's thread and the reader, one at a time.
     */
    static final class ModelClient {

        final RawWebSocket ws;

        final List<RawWebSocket.Frame> frames = new CopyOnWriteArrayList<>();

        private final Object writeLock = new Object();

        private final CompletableFuture<String> ended = new CompletableFuture<>();

        private volatile long readingFrom = System.nanoTime();

        // Guarded by writeLock.
        private boolean closeSent;

        private volatile boolean outputDone;

        volatile boolean reset;

        /** Whether the client wrote anything after a close frame of its own, which RFC 6455 forbids. */
        volatile boolean wroteAfterClose;

        volatile boolean aborted;

        private ModelClient(RawWebSocket ws) {
            this.ws = ws;
        }

        static ModelClient connect(int port, String path, int receiveBuffer) {
            return new ModelClient(RawWebSocket.connect(port, path, receiveBuffer));
        }

        void startReading() {
            Thread reader = new Thread(this::read, "model-client-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try {
                boolean closeSeen = false;
                while (true) {
                    long pause = this.readingFrom - System.nanoTime();
                    if (pause > 0) {
                        LockSupport.parkNanos(Math.min(pause, TimeUnit.MILLISECONDS.toNanos(20)));
                        continue;
                    }
                    RawWebSocket.Frame frame;
                    try {
                        frame = this.ws.readFrame();
                    } catch (AssertionError ex) {
                        this.ended.complete(
                                ex.getMessage().startsWith("the connection ended") ? "end of stream" : null);
                        return;
                    } catch (UncheckedIOException ex) {
                        this.ended.complete("ended with " + ex.getCause());
                        return;
                    }
                    this.frames.add(frame);
                    if (frame.opcode() == PING && !closeSeen) {
                        write(RawWebSocket.encode(true, 0, PONG, frame.payload(), true), false);
                    } else if (frame.opcode() == CLOSE && !closeSeen) {
                        closeSeen = true;
                        int code = frame.closeCode() == 1005 ? 1000 : frame.closeCode();
                        write(
                                RawWebSocket.encode(true, 0, CLOSE, RawWebSocket.closePayload(code, new byte[0]), true),
                                true);
                    }
                }
            } catch (Throwable ex) {
                this.ended.completeExceptionally(ex);
            }
        }

        /** Writes one frame of the sequence; false once the connection is gone for writing. */
        boolean write(byte[] frame) {
            return write(frame, false) || !this.outputDone;
        }

        /** {@code answer}: the reader's answer to a close, which only a client that sent none yet gives. */
        private boolean write(byte[] frame, boolean answer) {
            synchronized (this.writeLock) {
                boolean close = (frame[0] & 0x0F) == CLOSE;
                if (this.outputDone || (answer && this.closeSent)) {
                    return false;
                }
                this.wroteAfterClose |= this.closeSent && !answer;
                this.closeSent |= close;
                try {
                    this.ws.writeRaw(frame);
                    return true;
                } catch (UncheckedIOException ex) {
                    // The gateway closed or reset the connection: nothing more can be sent.
                    this.outputDone = true;
                    return false;
                }
            }
        }

        void stopReading(Duration duration) {
            this.readingFrom = System.nanoTime() + duration.toNanos();
        }

        void shutdownOutput() {
            synchronized (this.writeLock) {
                this.outputDone = true;
                try {
                    this.ws.shutdownOutput();
                } catch (UncheckedIOException ex) {
                    // Already closed by the gateway.
                }
            }
        }

        void reset() {
            this.reset = true;
            this.outputDone = true;
            try {
                this.ws.reset();
            } catch (UncheckedIOException ex) {
                // Already closed by the gateway.
            }
        }

        /** How the client's connection ended, or {@code null} if it did not within {@code bound}. */
        String awaitEnd(Duration bound) throws Exception {
            try {
                return this.ended.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException ex) {
                return null;
            }
        }

        /** Closes the socket, which ends the reader and any blocked write. */
        void abort() {
            if (!this.ended.isDone()) {
                this.aborted = true;
            }
            try {
                this.ws.close();
            } catch (UncheckedIOException ex) {
                // Closed already.
            }
        }
    }
}
