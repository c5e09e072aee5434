package io.wsgate.support;

import static io.wsgate.support.Gateway.TIMEOUT;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real {@code redis-server} (Debian's {@code redis-server} package) on a random loopback port, without persistence;
 * {@link #stop()} and {@link #start()} again on the same port for outage tests. Missing redis-server skips the test
 * with a message, unless {@code WSGATE_REQUIRE_REDIS=1} (as in CI), which fails it.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;

    private final Path log;

    private Process process;

    private RedisServer(int port, Path log) {
        this.port = port;
        this.log = log;
    }

    /** Skips the test when redis-server is not installed, or fails it with {@code WSGATE_REQUIRE_REDIS=1}. */
    public static void assumeInstalled() {
        InstalledBinaries.assume("WSGATE_REQUIRE_REDIS", "redis-server", "redis-server");
    }

    /** Starts a server on a free loopback port; its output goes to {@code target/processes/}. */
    public static RedisServer startNew() {
        assumeInstalled();
        try {
            Path dir = Files.createDirectories(Paths.get("target", "processes"));
            int port = FreePorts.next();
            RedisServer server = new RedisServer(port, dir.resolve("redis-" + port + ".log"));
            server.start();
            return server;
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Starts (again) on this server's port and waits until it answers PING. */
    public synchronized void start() {
        try {
            this.process = new ProcessBuilder(
                            "redis-server",
                            "--port",
                            Integer.toString(this.port),
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no")
                    .redirectErrorStream(true)
                    .redirectOutput(java.lang.ProcessBuilder.Redirect.appendTo(this.log.toFile()))
                    .start();
            Process started = this.process;
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (command("PING").equals("+PONG")) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new IllegalStateException("redis-server did not answer on port " + this.port + "; see " + this.log);
    }

    /** SIGKILL: gone at once, with everything it held. */
    public synchronized void stop() {
        if (this.process != null && this.process.isAlive()) {
            this.process.destroyForcibly();
            try {
                this.process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public int port() {
        return this.port;
    }

    /** The gateway's connection properties for this server. */
    public String[] properties() {
        return new String[] {"--spring.data.redis.host=127.0.0.1", "--spring.data.redis.port=" + this.port};
    }

    /**
     * Sends one inline command ({@code "HGETALL key"}) and returns the first line of the answer as Redis wrote it
     * ({@code +PONG}, {@code :3}, {@code *2}...); for checks that need no client library.
     */
    public String command(String inline) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", this.port), 1000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
