package io.wsgate.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A JVM started from the test's own classpath as a separate operating-system process, so that it can be killed,
 * stopped and measured (open files, heap) like a real deployment. Its output goes to a file under
 * {@code target/processes/}, kept after the test for reading.
 */
public final class JavaProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private final String name;

    private final Process process;

    private final Path output;

    private JavaProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /** Starts {@code mainClass} with {@code jvmOptions} and {@code args}; does not wait for it. */
    public static JavaProcess start(String name, List<String> jvmOptions, String mainClass, List<String> args) {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(testClassPath());
        command.add(mainClass);
        command.addAll(args);
        try {
            Path dir = Files.createDirectories(Paths.get("target", "processes"));
            Path output = dir.resolve(name + "-" + System.currentTimeMillis() + ".log");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            // Not left behind when the test JVM is ended early.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            return new JavaProcess(name, process, output);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The wsgate application ({@code io.wsgate.WsgateApplication}); {@link #awaitStarted()} waits until it serves. */
    public static JavaProcess wsgate(String name, List<String> jvmOptions, String... args) {
        return start(name, jvmOptions, "io.wsgate.WsgateApplication", List.of(args));
    }

    /**
     * A gateway process on {@code port} (actuator on {@code managementPort}) with the one route {@code routeId}:
     * {@code /<routeId>/**} to {@code backendUri}, prefix stripped, instead of the default routes; Netty's leak
     * detector at {@code paranoid} (every buffer tracked).
     */
    public static JavaProcess gateway(
            String routeId,
            String backendUri,
            int port,
            int managementPort,
            List<String> jvmOptions,
            String... moreArgs) {
        String route = "--spring.cloud.gateway.server.webflux.routes[0].";
        List<String> args = new ArrayList<>(List.of(
                "--server.port=" + port,
                "--management.server.port=" + managementPort,
                route + "id=" + routeId,
                route + "uri=" + backendUri,
                route + "predicates[0]=Path=/" + routeId + "/**",
                route + "filters[0]=StripPrefix=1"));
        args.addAll(List.of(moreArgs));
        List<String> options = new ArrayList<>(List.of("-Dio.netty.leakDetection.level=paranoid"));
        options.addAll(jvmOptions);
        return wsgate(routeId + "-gateway", options, args.toArray(String[]::new));
    }

    /** The bundled echo backend as its own process ({@code echo} profile) on {@code port}. */
    public static JavaProcess echoBackend(String name, int port) {
        return wsgate(
                name,
                List.of("-Xmx256m"),
                "--spring.profiles.active=echo",
                "--server.port=" + port,
                "--management.server.port=" + FreePorts.next());
    }

    /** Waits until a wsgate process logged that it started (its ports are open then). */
    public JavaProcess awaitStarted() {
        awaitOutput("Started WsgateApplication", START_TIMEOUT);
        return this;
    }

    // Surefire runs tests from a manifest-only jar; it publishes the real classpath in this property.
    private static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return (surefire != null && !surefire.isBlank())
                ? surefire
                : System.getProperty("java.class.path").replace(":", File.pathSeparator);
    }

    public long pid() {
        return this.process.pid();
    }

    public boolean isAlive() {
        return this.process.isAlive();
    }

    /** Everything the process wrote so far. */
    public String output() {
        try {
            return Files.readString(this.output, StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The output lines that contain {@code text}. */
    public List<String> outputLines(String text) {
        return output().lines().filter(line -> line.contains(text)).toList();
    }

    public Path outputFile() {
        return this.output;
    }

    /** Waits until the output contains {@code text}; fails early if the process exits first. */
    public void awaitOutput(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) {
                return;
            }
            if (!this.process.isAlive()) {
                throw new IllegalStateException(this.name + " exited (" + this.process.exitValue() + ") before \""
                        + text + "\"; output in " + this.output.toAbsolutePath());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new IllegalStateException(
                this.name + " did not log \"" + text + "\" within " + timeout + "; output in " + this.output);
    }

    /** CPU time the process used so far (user and system), from {@code /proc/<pid>/stat}, in clock ticks. */
    public long cpuTicks() {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid()), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Number of open file descriptors of the process, from {@code /proc/<pid>/fd}. */
    public int openFiles() {
        try (Stream<Path> fds = Files.list(Paths.get("/proc", Long.toString(pid()), "fd"))) {
            return (int) fds.count();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Runs {@code jcmd <pid> command...} and returns its output. */
    public String jcmd(String... command) {
        List<String> line = new ArrayList<>();
        line.add(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString());
        line.add(Long.toString(pid()));
        line.addAll(List.of(command));
        return run(line);
    }

    /** Sends a signal by name ({@code STOP}, {@code CONT}, {@code TERM}, {@code KILL}). */
    public void signal(String signal) {
        run(List.of("kill", "-" + signal, Long.toString(pid())));
    }

    /** SIGKILL, and waits until the process is gone. */
    public void kill() {
        this.process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** Waits for the process to end and returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(this.name + " still running after " + timeout);
            }
            return this.process.exitValue();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Waits until something accepts TCP connections on {@code port}. */
    public static void awaitPort(int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException ex) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
        throw new IllegalStateException("nothing listens on port " + port + " after " + timeout);
    }

    private static String run(List<String> command) {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** SIGKILL unless already ended. */
    @Override
    public void close() {
        if (this.process.isAlive()) {
            this.process.destroyForcibly();
            try {
                this.process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
