package io.wsgate.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.wsgate.reliability.SequencedMessages.Check;
import io.wsgate.reliability.SequencedMessages.Tally;
import io.wsgate.support.FreePorts;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.ManagementPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;
import reactor.netty.resources.ConnectionProvider;

/**
 * Soak: a wsgate process (Netty leak detector at {@code paranoid}) in front of an echo backend process, many
 * sessions opening and closing all the time, every message checked for loss, duplication, reordering and
 * corruption; afterwards the gateway must be back where it started: no active session, open files and heap after
 * GC at the baseline, no leak reported.
 *
 * <p>Sizes are system properties; the defaults are the short run of {@code ./mvnw verify}. The long run, as
 * documented in docs/reliability.md: {@code ./mvnw test -Dtest=SoakTests -Dsoak.sessions=10000
 * -Dsoak.concurrency=2000 -Dsoak.duration=5m}.
 */
@Tag("soak")
class SoakTests {

    /** Sessions opened over the whole run. */
    private static final int SESSIONS = Integer.getInteger("soak.sessions", 2000);

    /** Sessions open at once; a session that ends is replaced at once by a new one. */
    private static final int CONCURRENCY = Integer.getInteger("soak.concurrency", 200);

    /** How long the run lasts: session lifetimes are spread so that all sessions fit in it. */
    private static final Duration DURATION = DurationStyle.detectAndParse(System.getProperty("soak.duration", "45s"));

    /** Share of sessions that end by dropping the TCP connection instead of a close handshake. */
    private static final double CHURN_ABRUPT = Double.parseDouble(System.getProperty("soak.churn", "0.2"));

    /** Messages each session sends, spread over its lifetime. */
    private static final int MESSAGES = Integer.getInteger("soak.messages", 20);

    /** Largest random payload of a message, in bytes. */
    private static final int MAX_PAYLOAD = Integer.getInteger("soak.payload", 2048);

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /**
     * How long a session waits for its last echoes after its last send before they count as lost. Long, because
     * an overloaded machine delays them: a delay is not a loss.
     */
    private static final Duration ECHO_WAIT = DurationStyle.detectAndParse(System.getProperty("soak.echo-wait", "3m"));

    /** Sessions that ended with an error or with echoes missing, by kind. */
    private static final AtomicInteger FAILURES = new AtomicInteger();

    private static final Map<String, AtomicInteger> FAILURE_KINDS = new ConcurrentHashMap<>();

    /** Open files the gateway may hold above its baseline afterwards (log rotation, a probe in flight). */
    private static final int FD_TOLERANCE = 16;

    @Test
    void manySessionsWithChurnLoseNothingAndLeaveTheGatewayAtItsBaseline() throws Exception {
        int backendPort = FreePorts.next();
        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        try (JavaProcess backend = JavaProcess.echoBackend("soak-echo", backendPort);
                JavaProcess gateway = JavaProcess.gateway(
                        "soak",
                        "ws://127.0.0.1:" + backendPort,
                        port,
                        managementPort,
                        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
                        "--logging.level.wsgate.session=WARN",
                        // The soak measures loss and leaks, not latency: on a busy machine the backend may take
                        // longer than the default 10 s to answer a handshake, and a 504 would end the session.
                        "--wsgate.proxy.handshake-timeout=60s")) {
            // Started side by side: on a small machine each start takes a while.
            backend.awaitStarted();
            gateway.awaitStarted();
            ManagementPort management = new ManagementPort(managementPort);
            String uri = "ws://127.0.0.1:" + port + "/soak/";
            ConnectionProvider connections = ConnectionProvider.builder("soak")
                    .maxConnections(CONCURRENCY)
                    .pendingAcquireMaxCount(-1)
                    .pendingAcquireTimeout(TIMEOUT)
                    .build();
            HttpClient client = HttpClient.create(connections);
            try {
                // Warm up (lazily created event loops, classes, pools), then take the baseline.
                Tally warmup = run(client, uri, 50, 10, Duration.ofSeconds(2), 0.5);
                assertThat(warmup.lost()).isZero();
                Baseline before = baseline(gateway, management);

                Instant start = Instant.now();
                Tally tally = run(client, uri, SESSIONS, CONCURRENCY, DURATION, CHURN_ABRUPT);
                Duration took = Duration.between(start, Instant.now());

                await().atMost(TIMEOUT).until(() -> management.sum("wsgate_sessions_active") == 0);
                double opened = management.sum("wsgate_sessions_opened_total", "route=\"soak\"");
                double closed = management.sum("wsgate_sessions_closed_total", "route=\"soak\"");
                await().atMost(TIMEOUT).until(() -> gateway.openFiles() <= before.openFiles() + FD_TOLERANCE);
                // The leak detector reports when a tracked buffer is allocated after the leaked one was
                // collected: collect, allocate (a few sessions), collect again.
                gateway.jcmd("GC.run");
                run(client, uri, 20, 10, Duration.ofSeconds(1), 0);
                Baseline after = baseline(gateway, management);
                List<String> leaks = gateway.outputLines("LEAK:");
                List<String> backendLeaks = backend.outputLines("LEAK:");

                report(tally, took, before, after, leaks.size() + backendLeaks.size(), opened);

                assertThat(tally.sessions()).isEqualTo(SESSIONS);
                assertThat(FAILURES)
                        .as("sessions that failed: %s", FAILURE_KINDS)
                        .hasValue(0);
                assertThat(tally.sent()).isEqualTo((long) SESSIONS * MESSAGES);
                assertThat(tally.lost()).as("lost").isZero();
                assertThat(tally.duplicated()).as("duplicated").isZero();
                assertThat(tally.reordered()).as("reordered").isZero();
                assertThat(tally.corrupted()).as("corrupted").isZero();
                assertThat(opened).isEqualTo(closed).isGreaterThanOrEqualTo(SESSIONS);
                assertThat(leaks).as("leaks in %s", gateway.outputFile()).isEmpty();
                assertThat(backendLeaks).as("leaks in %s", backend.outputFile()).isEmpty();
                assertThat(after.openFiles()).isLessThanOrEqualTo(before.openFiles() + FD_TOLERANCE);
                // Near the baseline: what a leak of a few bytes per session or message would exceed.
                assertThat(after.heapBytes())
                        .isLessThan(before.heapBytes() + Math.max(32 << 20, before.heapBytes() / 2));
            } finally {
                connections.disposeLater().block(TIMEOUT);
            }
        }
    }

    /** Open files and heap used after a full GC. */
    record Baseline(int openFiles, long heapBytes) {}

    private static Baseline baseline(JavaProcess gateway, ManagementPort management) {
        gateway.jcmd("GC.run");
        long heap = (long) management.sum("jvm_memory_used_bytes", "area=\"heap\"");
        return new Baseline(gateway.openFiles(), heap);
    }

    /** Runs {@code sessions} sessions, {@code concurrency} at a time, spread over about {@code duration}. */
    private static Tally run(
            HttpClient client, String uri, int sessions, int concurrency, Duration duration, double abruptShare) {
        Duration lifetime = duration.multipliedBy(concurrency).dividedBy(sessions);
        AtomicLong ids = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 40));
        AtomicInteger done = new AtomicInteger();
        Disposable progress = Flux.interval(Duration.ofSeconds(30))
                .subscribe(tick -> System.out.printf("SOAK progress: %d of %d sessions done%n", done.get(), sessions));
        return Flux.range(0, sessions)
                .flatMap(
                        i -> {
                            // The first wave starts spread over one lifetime, not in one burst.
                            Duration delay =
                                    i < concurrency ? lifetime.multipliedBy(i).dividedBy(concurrency) : Duration.ZERO;
                            double spread = 0.5 + ThreadLocalRandom.current().nextDouble();
                            Duration own = Duration.ofNanos((long) (lifetime.toNanos() * spread));
                            boolean abrupt = ThreadLocalRandom.current().nextDouble() < abruptShare;
                            return Mono.delay(delay).then(session(client, uri, ids.incrementAndGet(), own, abrupt));
                        },
                        concurrency)
                .doOnNext(tally -> done.incrementAndGet())
                .doFinally(signal -> progress.dispose())
                .reduce(Tally.NONE, Tally::plus)
                // Generous: on a loaded machine the schedule stretches; lost messages are counted, not timed.
                .block(duration.multipliedBy(8).plus(lifetime).plus(Duration.ofMinutes(10)));
    }

    /**
     * One session: sends its numbered messages over its lifetime, waits for every echo, then closes with 1000
     * or, if {@code abrupt}, drops the connection without a close frame.
     */
    private static Mono<Tally> session(HttpClient client, String uri, long id, Duration lifetime, boolean abrupt) {
        Check check = new Check(id);
        AtomicInteger sent = new AtomicInteger();
        Sinks.Empty<Void> allBack = Sinks.empty();
        AtomicReference<Integer> closedEarly = new AtomicReference<>();
        Duration interval = lifetime.dividedBy(MESSAGES);
        return client.websocket(WebsocketClientSpec.builder()
                        .maxFramePayloadLength(1 << 20)
                        .build())
                .uri(uri)
                .handle((in, out) -> {
                    in.receiveCloseStatus().subscribe(status -> closedEarly.set(status.code()));
                    Mono<Void> receive = in.aggregateFrames(1 << 20)
                            .receiveFrames()
                            .ofType(BinaryWebSocketFrame.class)
                            .doOnNext(frame -> {
                                if (check.accept(ByteBufUtil.getBytes(frame.content())) == MESSAGES) {
                                    allBack.tryEmitEmpty();
                                }
                            })
                            .then();
                    Mono<Void> send = out.sendObject(Flux.interval(interval)
                                    .take(MESSAGES)
                                    .map(seq -> new BinaryWebSocketFrame(Unpooled.wrappedBuffer(
                                            SequencedMessages.message(id, sent.getAndIncrement(), MAX_PAYLOAD)))))
                            .then()
                            .then(allBack.asMono()
                                    .timeout(ECHO_WAIT)
                                    .onErrorResume(
                                            TimeoutException.class,
                                            ex -> failed(
                                                    closedEarly.get() != null
                                                            ? "echoes missing, closed by the gateway with "
                                                                    + closedEarly.get()
                                                            : "echoes missing, session still open")))
                            .then(end(in, out, abrupt));
                    return Mono.when(receive, send);
                })
                .then()
                .onErrorResume(ex -> failed(ex.getClass().getSimpleName()))
                .then(Mono.fromSupplier(() -> check.tally(sent.get())));
    }

    private static Mono<Void> end(WebsocketInbound in, WebsocketOutbound out, boolean abrupt) {
        if (abrupt) {
            return Mono.fromRunnable(
                    () -> in.withConnection(connection -> connection.channel().close()));
        }
        return out.sendClose(1000, "done");
    }

    private static Mono<Void> failed(String kind) {
        FAILURES.incrementAndGet();
        FAILURE_KINDS.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
        return Mono.empty();
    }

    /** Prints the figures and keeps them in {@code target/soak-report.txt} for the docs. */
    private static void report(Tally tally, Duration took, Baseline before, Baseline after, int leaks, double opened)
            throws IOException {
        String report = String.format(
                Locale.ROOT,
                "sessions=%d (gateway counted %d incl. warm-up) concurrency=%d duration=%ds abrupt-share=%.2f%n"
                        + "messages sent=%d echoes received=%d lost=%d duplicated=%d reordered=%d corrupted=%d"
                        + " failed-sessions=%d %s%n"
                        + "leaks=%d open-files before=%d after=%d heap-after-gc before=%dMiB after=%dMiB%n",
                tally.sessions(),
                (long) opened,
                CONCURRENCY,
                took.toSeconds(),
                CHURN_ABRUPT,
                tally.sent(),
                tally.received(),
                tally.lost(),
                tally.duplicated(),
                tally.reordered(),
                tally.corrupted(),
                FAILURES.get(),
                FAILURE_KINDS.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(",", "{", "}")),
                leaks,
                before.openFiles(),
                after.openFiles(),
                before.heapBytes() >> 20,
                after.heapBytes() >> 20);
        System.out.print("SOAK " + report);
        Path file = Paths.get("target", "soak-report.txt");
        Files.writeString(file, report);
    }
}
