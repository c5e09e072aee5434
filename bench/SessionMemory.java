import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Objects and bytes per idle proxied session (single-file program, JDK only; {@code bench/session-memory.sh} runs
 * it): starts the jar's echo profile as the backend and the jar as the gateway with one route to it, opens idle
 * sessions through the gateway in steps (default 2,000 then 4,000; each checked with one echo), takes
 * {@code jcmd GC.class_histogram} (live objects, after a full GC) of the gateway at each step, and prints the
 * difference between the last two steps divided by the sessions between them: per-session instances and bytes by
 * class (fixed costs cancel out), the totals, the RSS and heap per session, and the heap 100,000 sessions would
 * take. Options: {@code --jar PATH --java PATH --jvm "FLAGS" --args "APP ARGS" --sessions 2000,4000 --top 25 --hold SECONDS}
 * ({@code --hold}: the sessions stay open that long after the report, for a look with jcmd).
 */
public class SessionMemory {

    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

    private static final List<Process> started = Collections.synchronizedList(new ArrayList<>());

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        Path jar = Path.of(opts.getOrDefault("jar", findJar()));
        String java = opts.getOrDefault("java", "java");
        List<String> jvm = words(opts.getOrDefault("jvm", System.getenv().getOrDefault("WSGATE_BENCH_JVM", "")));
        List<String> appArgs = words(opts.getOrDefault("args", ""));
        int[] steps = Arrays.stream(opts.getOrDefault("sessions", "2000,4000").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        int top = Integer.parseInt(opts.getOrDefault("top", "25"));
        Path work = Path.of("bench", "results", "session-memory-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(work);
        Runtime.getRuntime().addShutdownHook(new Thread(SessionMemory::stopAll));

        int echoPort = freePort();
        start(work.resolve("echo.log"), java, List.of(), jar, List.of(
                "--spring.profiles.active=echo", "--server.port=" + echoPort,
                "--management.server.port=" + freePort()));
        Path routes = work.resolve("routes.yml");
        Files.writeString(routes, """
                spring:
                  cloud:
                    gateway:
                      server:
                        webflux:
                          routes:
                            - id: mem
                              uri: ws://127.0.0.1:%d
                              predicates:
                                - Path=/mem/**
                              filters:
                                - StripPrefix=1
                              metadata:
                                health-path: /
                """.formatted(echoPort));
        int gatewayPort = freePort();
        List<String> gatewayArgs = new ArrayList<>(List.of(
                "--spring.config.additional-location=file:" + routes.toAbsolutePath(),
                "--server.port=" + gatewayPort, "--management.server.port=" + freePort()));
        gatewayArgs.addAll(appArgs);
        Process gateway = start(work.resolve("gateway.log"), java, jvm, jar, gatewayArgs);
        String base = "ws://127.0.0.1:" + gatewayPort + "/mem/";
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        awaitFirstRelay(http, base, gateway);

        System.out.printf("gateway pid %d, JVM flags \"%s\", %s%n", gateway.pid(), String.join(" ", jvm),
                jcmd(gateway.pid(), "VM.version").lines().skip(1).findFirst().orElse("?"));
        List<WebSocket> held = new ArrayList<>();
        List<Reading> readings = new ArrayList<>();
        for (int step : steps) {
            open(http, base, held, step - held.size());
            Thread.sleep(2000);
            Reading reading = read(gateway.pid(), held.size());
            readings.add(reading);
            Files.writeString(work.resolve("histogram-" + held.size() + ".txt"), reading.histogram);
            System.out.printf("%,d idle sessions: heap after full GC %,.1f MiB, RSS %,.1f MiB%n",
                    held.size(), reading.heapKiB / 1024.0, reading.rssKiB / 1024.0);
        }
        report(readings.get(readings.size() - 2), readings.get(readings.size() - 1), top);
        System.out.println("(histograms and logs in " + work + ")");
        int hold = Integer.parseInt(opts.getOrDefault("hold", "0"));
        if (hold > 0) {
            System.out.printf("holding the sessions for %d s (gateway pid %d: jcmd, JFR.dump...)%n", hold, gateway.pid());
            Thread.sleep(hold * 1000L);
        }
        held.forEach(WebSocket::abort);
        stopAll();
    }

    /** The per-session difference between two readings, by class and in total. */
    private static void report(Reading from, Reading to, int top) {
        double sessions = to.sessions - from.sessions;
        List<String[]> rows = new ArrayList<>();
        long instances = 0;
        long bytes = 0;
        for (Map.Entry<String, long[]> entry : to.classes.entrySet()) {
            long[] before = from.classes.getOrDefault(entry.getKey(), new long[2]);
            long di = entry.getValue()[0] - before[0];
            long db = entry.getValue()[1] - before[1];
            instances += di;
            bytes += db;
            rows.add(new String[] {entry.getKey(), Long.toString(di), Long.toString(db)});
        }
        for (Map.Entry<String, long[]> entry : from.classes.entrySet()) {
            if (!to.classes.containsKey(entry.getKey())) {
                instances -= entry.getValue()[0];
                bytes -= entry.getValue()[1];
            }
        }
        rows.sort((a, b) -> Long.compare(Long.parseLong(b[2]), Long.parseLong(a[2])));
        System.out.printf("%nPer idle session (from %,d to %,d sessions), top %d classes by bytes:%n",
                from.sessions, to.sessions, top);
        System.out.printf("%10s %10s  %s%n", "objects", "bytes", "class");
        for (String[] row : rows.subList(0, Math.min(top, rows.size()))) {
            System.out.printf("%10.2f %10.1f  %s%n",
                    Long.parseLong(row[1]) / sessions, Long.parseLong(row[2]) / sessions, row[0]);
        }
        double perSessionBytes = bytes / sessions;
        System.out.printf("%10.1f %10.1f  TOTAL (all classes)%n", instances / sessions, perSessionBytes);
        System.out.printf("heap after full GC per session: %.1f KB; RSS per session: %.1f KB (KB = 1,000 bytes)%n",
                (to.heapKiB - from.heapKiB) * 1024 / sessions / 1000, (to.rssKiB - from.rssKiB) * 1024 / sessions / 1000);
        System.out.printf("100,000 idle sessions: %.0f MiB of live heap (histogram bytes × 100,000)%n",
                perSessionBytes * 100_000 / (1024 * 1024));
    }

    private record Reading(int sessions, Map<String, long[]> classes, String histogram, long heapKiB, long rssKiB) {}

    private static Reading read(long pid, int sessions) throws Exception {
        // GC.class_histogram counts live objects only: it runs a full GC first.
        String histogram = jcmd(pid, "GC.class_histogram");
        Map<String, long[]> classes = new HashMap<>();
        for (String line : histogram.split("\n")) {
            Matcher m = HISTOGRAM_ROW.matcher(line);
            if (m.find()) {
                classes.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
                        (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
            }
        }
        jcmd(pid, "GC.run");
        Matcher used = Pattern.compile("used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
        long heapKiB = used.find() ? Long.parseLong(used.group(1)) : -1;
        Matcher rss = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
        long rssKiB = rss.find() ? Long.parseLong(rss.group(1)) : -1;
        return new Reading(sessions, classes, histogram, heapKiB, rssKiB);
    }

    /** Opens {@code count} more sessions, 50 handshakes at a time, each answering one echo before it is held. */
    private static void open(HttpClient http, String base, List<WebSocket> held, int count) throws Exception {
        Semaphore handshakes = new Semaphore(50);
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<WebSocket>> opened = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            handshakes.acquire();
            String text = "hello " + (held.size() + i);
            CompletableFuture<WebSocket> session = connect(http, base + "s" + i, text)
                    .whenComplete((ws, error) -> {
                        handshakes.release();
                        if (error != null && failed.getAndIncrement() < 3) {
                            System.out.println("session failed: " + error);
                        }
                    });
            opened.add(session);
        }
        for (CompletableFuture<WebSocket> session : opened) {
            try {
                held.add(session.get(90, TimeUnit.SECONDS));
            } catch (Exception ex) {
                // counted above
            }
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " sessions failed");
        }
    }

    /** A session that answered {@code text} with its upper case (the bundled echo's answer). */
    private static CompletableFuture<WebSocket> connect(HttpClient http, String url, String text) {
        CompletableFuture<String> reply = new CompletableFuture<>();
        StringBuilder received = new StringBuilder();
        return http.newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(30))
                .buildAsync(URI.create(url), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        received.append(data);
                        if (last) {
                            reply.complete(received.toString());
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                        reply.complete("closed " + code);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        reply.completeExceptionally(error);
                    }
                })
                .thenCompose(ws -> ws.sendText(text, true).thenCompose(sent -> reply).thenApply(answer -> {
                    if (!answer.equals(text.toUpperCase(java.util.Locale.ROOT))) {
                        throw new IllegalStateException("expected the echo of " + text + ", got " + answer);
                    }
                    return ws;
                }))
                .orTimeout(60, TimeUnit.SECONDS);
    }

    private static void awaitFirstRelay(HttpClient http, String base, Process gateway) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (true) {
            if (!gateway.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + gateway.exitValue());
            }
            try {
                connect(http, base + "probe", "probe").get(10, TimeUnit.SECONDS).abort();
                return;
            } catch (Exception ex) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no relayed message within 300 s", ex);
                }
                Thread.sleep(200);
            }
        }
    }

    private static Process start(Path log, String java, List<String> jvm, Path jar, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvm);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        started.add(process);
        return process;
    }

    private static void stopAll() {
        synchronized (started) {
            for (Process process : started) {
                process.destroy();
            }
            for (Process process : started) {
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException ex) {
                    process.destroyForcibly();
                }
            }
            started.clear();
        }
    }

    /** jcmd of the JDK that runs {@code pid} (jcmd attaches only to its own JDK version). */
    private static String jcmd(long pid, String command) throws Exception {
        Path exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
        Process jcmd = new ProcessBuilder(exe.resolveSibling("jcmd").toString(), Long.toString(pid), command)
                .redirectErrorStream(true)
                .start();
        String out = new String(jcmd.getInputStream().readAllBytes());
        if (!jcmd.waitFor(120, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String findJar() throws IOException {
        try (var files = Files.list(Path.of("target"))) {
            return files.map(Path::toString)
                    .filter(name -> name.matches(".*/wsgate-[^/]*\\.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no target/wsgate-*.jar: build it first"));
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h") || !args[i].startsWith("--") || i + 1 >= args.length) {
                System.out.println("bench/session-memory.sh [--build] [--jar PATH] [--java PATH] [--jvm \"FLAGS\"]"
                        + " [--args \"APP ARGS\"] [--sessions 2000,4000] [--top 25] [--hold SECONDS]");
                System.exit(args[i].startsWith("-h") || args[i].equals("--help") ? 0 : 2);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }
}
