package io.wsgate.lb;

import io.wsgate.support.FreePorts;
import io.wsgate.support.Haproxy;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.RecordingBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.springframework.boot.convert.DurationStyle;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;

/**
 * The rolling deploy users do every week, measured: {@code clients} {@link ReconnectingClient}s send numbered
 * messages through a real HAProxy to {@code replicas} wsgate processes relaying to an echo backend process, while
 * the replicas are replaced one by one: SIGTERM (the replica drains: {@code /readyz} 503, its sessions closed with
 * 1001 over the drain window, exit), a new process on the same ports, and the next only once HAProxy's health checks
 * have the new one UP, as a Kubernetes rollout with {@code maxUnavailable: 1} waits for readiness.
 *
 * <p>A test-support class rather than a program under {@code bench/}: it needs the processes the tests start
 * (replicas from the test classpath, the recording echo, HAProxy), and so the same code runs at a small size in
 * every {@code ./mvnw verify} ({@link RollingDeployTests}) and at full size with one command.
 */
final class RollingDeploy {

    /** The sizes and the replicas' settings; {@link #fromSystemProperties} reads {@code rolling.*}. */
    record Settings(
            int clients,
            int replicas,
            Duration messageInterval,
            Duration drainWindow,
            Duration maxSessionAge,
            Duration maxSessionAgeJitter,
            Duration rampUp,
            Duration evenWithin,
            String heap) {

        static Settings fromSystemProperties(Settings defaults) {
            return new Settings(
                    Integer.getInteger("rolling.clients", defaults.clients()),
                    Integer.getInteger("rolling.replicas", defaults.replicas()),
                    duration("rolling.message-interval", defaults.messageInterval()),
                    duration("rolling.drain-window", defaults.drainWindow()),
                    duration("rolling.max-session-age", defaults.maxSessionAge()),
                    duration("rolling.max-session-age-jitter", defaults.maxSessionAgeJitter()),
                    duration("rolling.ramp-up", defaults.rampUp()),
                    duration("rolling.even-within", defaults.evenWithin()),
                    System.getProperty("rolling.heap", defaults.heap()));
        }

        private static Duration duration(String property, Duration fallback) {
            String value = System.getProperty(property);
            return value == null || value.isBlank() ? fallback : DurationStyle.detectAndParse(value);
        }
    }

    /** What the run saw. {@code evenAfter} is null when the sessions were not even within the observed time. */
    record Report(
            Settings settings,
            Duration rollTook,
            long sessions,
            Map<String, Long> gatewayCloses,
            Map<String, Long> handshakeFailures,
            Duration longestGap,
            long sent,
            long echoed,
            long unansweredButTold,
            long lostSilently,
            long endedWithoutClose,
            long unexpectedEchoes,
            long unansweredAtEnd,
            int clientsBackAfterRoll,
            List<Integer> sessionsAfterRoll,
            Duration evenAfter,
            List<Integer> sessionsAtEnd,
            List<String> failures) {

        /** Sessions the gateway ended with 1001 (drain or age), each followed by a reconnect. */
        long moved() {
            return this.gatewayCloses.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("1001"))
                    .mapToLong(Map.Entry::getValue)
                    .sum();
        }

        @Override
        public String toString() {
            Settings s = this.settings;
            return String.format(
                    Locale.ROOT,
                    "clients=%d replicas=%d message-interval=%dms drain-window=%ds max-session-age=%s%n"
                            + "roll took %ds; sessions=%d moved=%d gateway closes %s%n"
                            + "handshake failures seen by clients=%d %s%n"
                            + "longest gap without echo across a reconnect=%dms%n"
                            + "messages sent=%d echoed=%d unanswered-but-told(close frame)=%d lost-silently=%d%n"
                            + "sessions ended without a close frame=%d unexpected echoes=%d unanswered at end=%d%n"
                            + "clients back with an echo after the roll=%d of %d%n"
                            + "sessions per replica after the roll %s, even after %s, at the end %s%n"
                            + "%s",
                    s.clients(),
                    s.replicas(),
                    s.messageInterval().toMillis(),
                    s.drainWindow().toSeconds(),
                    s.maxSessionAge().isZero()
                            ? "off"
                            : s.maxSessionAge().toSeconds() + "s+"
                                    + s.maxSessionAgeJitter().toSeconds() + "s",
                    this.rollTook.toSeconds(),
                    this.sessions,
                    moved(),
                    this.gatewayCloses,
                    this.handshakeFailures.values().stream()
                            .mapToLong(Long::longValue)
                            .sum(),
                    this.handshakeFailures,
                    this.longestGap.toMillis(),
                    this.sent,
                    this.echoed,
                    this.unansweredButTold,
                    this.lostSilently,
                    this.endedWithoutClose,
                    this.unexpectedEchoes,
                    this.unansweredAtEnd,
                    this.clientsBackAfterRoll,
                    s.clients(),
                    this.sessionsAfterRoll,
                    this.evenAfter == null
                            ? "not within " + s.evenWithin().toSeconds() + "s"
                            : this.evenAfter.toMillis() + "ms",
                    this.sessionsAtEnd,
                    this.failures.stream()
                            .map(failure -> "failure: " + failure + "\n")
                            .collect(Collectors.joining()));
        }
    }

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private final Settings settings;

    private final List<Haproxy.Server> servers = new ArrayList<>();

    private final List<JavaProcess> replicas = new ArrayList<>();

    private String backendUri;

    RollingDeploy(Settings settings) {
        this.settings = settings;
    }

    Report run() {
        int backendPort = FreePorts.next();
        this.backendUri = "ws://127.0.0.1:" + backendPort;
        try (JavaProcess backend = RecordingBackend.start("rolling-echo", backendPort)) {
            for (int i = 1; i <= this.settings.replicas(); i++) {
                Haproxy.Server server = new Haproxy.Server("r" + i, FreePorts.next(), FreePorts.next());
                this.servers.add(server);
                this.replicas.add(startReplica(server));
            }
            this.replicas.forEach(JavaProcess::awaitStarted);
            Haproxy haproxy = Haproxy.start(Haproxy.workDir("rolling"), this.servers);
            try {
                this.servers.forEach(server -> haproxy.awaitStatus(server.name(), "UP", TIMEOUT));
                return drive(haproxy);
            } finally {
                haproxy.close();
            }
        } finally {
            this.replicas.forEach(JavaProcess::close);
        }
    }

    private JavaProcess startReplica(Haproxy.Server server) {
        List<String> args = new ArrayList<>(List.of(
                "--wsgate.forwarded.proxy-protocol=on",
                "--wsgate.forwarded.trusted-proxies=127.0.0.1/32",
                "--wsgate.shutdown.drain-window=" + this.settings.drainWindow().toMillis() + "ms",
                "--logging.level.wsgate.session=WARN",
                "--logging.level.io.wsgate.drain.DrainingRejectionFilter=WARN"));
        if (!this.settings.maxSessionAge().isZero()) {
            args.add("--wsgate.session.max-session-age="
                    + this.settings.maxSessionAge().toMillis() + "ms");
            args.add("--wsgate.session.max-session-age-jitter="
                    + this.settings.maxSessionAgeJitter().toMillis() + "ms");
        }
        return JavaProcess.gateway(
                "ws",
                this.backendUri,
                server.port(),
                server.managementPort(),
                // The default leak detection, not the gateway tests' paranoid level: this run measures a deploy.
                List.of(
                        "-Xmx" + this.settings.heap(),
                        "-XX:+ExitOnOutOfMemoryError",
                        "-Dio.netty.leakDetection.level=simple"),
                args.toArray(String[]::new));
    }

    private Report drive(Haproxy haproxy) {
        ReconnectingClient.Tally tally = new ReconnectingClient.Tally();
        HttpClient http = HttpClient.newConnection();
        String uri = "ws://127.0.0.1:" + haproxy.port() + "/ws/";
        List<ReconnectingClient> clients = new ArrayList<>();
        try {
            long rampStep = this.settings.rampUp().toNanos() / this.settings.clients();
            for (int i = 0; i < this.settings.clients(); i++) {
                ReconnectingClient client =
                        new ReconnectingClient(i, http, uri, this.settings.messageInterval(), tally);
                clients.add(client);
                client.start();
                LockSupport.parkNanos(rampStep);
            }
            long steady = System.nanoTime();
            await("every client echoed", TIMEOUT, () -> clients.stream().allMatch(c -> c.echoedSince(steady)));
            progress("steady: " + sessionsPerReplica() + " sessions per replica");

            long rollStart = System.nanoTime();
            for (int i = 0; i < this.replicas.size(); i++) {
                replace(haproxy, i);
            }
            long rollEnd = System.nanoTime();
            List<Integer> afterRoll = sessionsPerReplica();
            progress("rolled in " + Duration.ofNanos(rollEnd - rollStart).toSeconds() + "s: " + afterRoll);

            Duration evenAfter = null;
            long evenDeadline = rollEnd + this.settings.evenWithin().toNanos();
            while (System.nanoTime() < evenDeadline) {
                if (even(sessionsPerReplica(), this.settings.clients())) {
                    evenAfter = Duration.ofNanos(System.nanoTime() - rollEnd);
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
            List<Integer> atEnd = sessionsPerReplica();
            // Every client is back: an open session with an echo after the last replacement was ready.
            awaitQuietly(TIMEOUT, () -> clients.stream().allMatch(c -> c.echoedSince(rollEnd)));
            int back =
                    (int) clients.stream().filter(c -> c.echoedSince(rollEnd)).count();

            clients.forEach(ReconnectingClient::stopSending);
            awaitQuietly(Duration.ofSeconds(60), () -> clients.stream().allMatch(c -> c.unanswered() == 0));
            long unansweredAtEnd =
                    clients.stream().mapToLong(ReconnectingClient::unanswered).sum();
            Flux.fromIterable(clients)
                    .flatMap(c -> Mono.fromRunnable(c::close).subscribeOn(Schedulers.boundedElastic()), 64)
                    .blockLast(TIMEOUT);
            return new Report(
                    this.settings,
                    Duration.ofNanos(rollEnd - rollStart),
                    tally.sessions.get(),
                    counts(tally.closes),
                    counts(tally.handshakeFailures),
                    Duration.ofNanos(tally.longestGapNanos.get()),
                    tally.sent.get(),
                    tally.echoed.get(),
                    tally.unansweredButTold.get(),
                    tally.lostSilently.get(),
                    tally.endedWithoutClose.get(),
                    tally.unexpectedEchoes.get(),
                    unansweredAtEnd,
                    back,
                    afterRoll,
                    evenAfter,
                    atEnd,
                    List.copyOf(tally.failures));
        } finally {
            clients.forEach(ReconnectingClient::dispose);
        }
    }

    /** SIGTERM to replica {@code index}, its exit, a new process on its ports, and HAProxy seeing it UP. */
    private void replace(Haproxy haproxy, int index) {
        Haproxy.Server server = this.servers.get(index);
        JavaProcess old = this.replicas.get(index);
        old.signal("TERM");
        int status = old.awaitExit(this.settings.drainWindow().plus(TIMEOUT));
        if (status != 0) {
            throw new IllegalStateException(server.name() + " exited with " + status + "; see " + old.outputFile());
        }
        JavaProcess replacement = startReplica(server).awaitStarted();
        this.replicas.set(index, replacement);
        haproxy.awaitStatus(server.name(), "UP", TIMEOUT);
        progress(server.name() + " replaced: " + sessionsPerReplica());
    }

    private List<Integer> sessionsPerReplica() {
        return this.servers.stream()
                .map(server -> {
                    try {
                        return (int) new ManagementPort(server.managementPort())
                                .sum("wsgate_sessions_active", "route=\"ws\"");
                    } catch (RuntimeException notServing) {
                        return -1;
                    }
                })
                .toList();
    }

    /** Every replica within 10% of the mean (at least 2 sessions either way). */
    static boolean even(List<Integer> sessions, int clients) {
        double mean = (double) clients / sessions.size();
        double tolerance = Math.max(2, mean * 0.1);
        return sessions.stream().allMatch(count -> Math.abs(count - mean) <= tolerance);
    }

    private static Map<String, Long> counts(Map<String, AtomicLong> counters) {
        return counters.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(), Long::sum, TreeMap::new));
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        if (!awaitQuietly(timeout, condition)) {
            throw new IllegalStateException("not within " + timeout + ": " + what);
        }
    }

    private static boolean awaitQuietly(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        return condition.getAsBoolean();
    }

    private static void progress(String line) {
        System.out.println("ROLLING " + line);
    }

    /** Prints the report and keeps it in {@code target/rolling-deploy-<name>.txt} for the docs. */
    static void keep(String name, Report report) {
        System.out.print("ROLLING " + report);
        try {
            Path file = Paths.get("target", "rolling-deploy-" + name + ".txt");
            Files.writeString(file, report.toString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
