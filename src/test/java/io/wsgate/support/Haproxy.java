package io.wsgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real HAProxy (Debian's {@code haproxy} package) on a loopback port in front of wsgate replicas, as an L7 load
 * balancer deployed for WebSockets: PROXY protocol v2 towards every replica ({@code send-proxy-v2}), health checks
 * {@code GET /readyz} on each replica's management port (so a draining replica, 503, is taken out within one check
 * interval), {@code balance leastconn}, and a {@code timeout tunnel} long enough for idle WebSockets. Its config and
 * log stay in the directory given to {@link #start}; the admin socket there answers {@link #serverStatus()}.
 *
 * <p>{@code leastconn} rather than {@code roundrobin}: HAProxy's manual recommends it for long sessions, and it is
 * what makes sessions spread evenly again after a replacement replica comes up empty. Missing HAProxy skips the
 * test with a message, unless {@code WSGATE_REQUIRE_HAPROXY=1} (as in CI), which fails it.
 */
public final class Haproxy implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** One wsgate replica: its traffic port (PROXY protocol on) and its management port (probes). */
    public record Server(String name, int port, int managementPort) {}

    private final Process process;

    private final int port;

    private final Path dir;

    private Haproxy(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Skips the test when {@code haproxy} is not on the PATH, or fails it with {@code WSGATE_REQUIRE_HAPROXY=1}. */
    public static void assumeInstalled() {
        InstalledBinaries.assume("WSGATE_REQUIRE_HAPROXY", "haproxy", "haproxy");
    }

    /** Starts HAProxy balancing over {@code servers}; returns once its frontend accepts connections. */
    public static Haproxy start(Path dir, List<Server> servers) {
        int port = FreePorts.next();
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve("haproxy.cfg");
            Files.writeString(config, config(port, dir.resolve("admin.sock"), servers));
            Process process = new ProcessBuilder("haproxy", "-f", config.toString(), "-db")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("haproxy.log").toFile())
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            Haproxy haproxy = new Haproxy(process, port, dir);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (!Files.exists(dir.resolve("admin.sock"))) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    haproxy.close();
                    throw new IllegalStateException("HAProxy did not start; see " + dir.resolve("haproxy.log"));
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            JavaProcess.awaitPort(port, START_TIMEOUT);
            return haproxy;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static String config(int port, Path adminSocket, List<Server> servers) {
        StringBuilder cfg = new StringBuilder();
        cfg.append("""
                global
                    log stdout format raw local0 info
                    # Two descriptors per connection; this machine allows a process 20,000.
    maxconn 8000
                    stats socket unix@%s mode 600 level admin

                defaults
                    mode http
                    log global
                    option httplog
                    option dontlognull
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                    # Once upgraded, a WebSocket is a tunnel: idle for up to this long (wsgate's keepalive pings
                    # keep a live one busy far more often).
                    timeout tunnel 1h
                    timeout client-fin 5s

                frontend ws
                    bind 127.0.0.1:%d
                    default_backend wsgate

                backend wsgate
                    balance leastconn
                    # /readyz answers 503 while a replica drains: out of rotation after one failed check, back in
                    # after two good ones. Checks go to the management port without a PROXY header.
                    option httpchk GET /readyz
                    http-check expect status 200
                    # A check may take up to 3 s to be answered on a loaded machine (500 ms took every replica out at once).
                    timeout check 3s
                    default-server send-proxy-v2 inter 500ms fall 1 rise 2
                """.formatted(adminSocket, port));
        for (Server server : servers) {
            cfg.append("    server %s 127.0.0.1:%d check port %d%n"
                    .formatted(server.name(), server.port(), server.managementPort()));
        }
        return cfg.toString();
    }

    /** The frontend's port on 127.0.0.1. */
    public int port() {
        return this.port;
    }

    /** The log (HAProxy's own lines and one per request, with status and the server chosen). */
    public String log() {
        try {
            return Files.readString(this.dir.resolve("haproxy.log"), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Each server's status as HAProxy's health checks see it ({@code UP}, {@code DOWN}, ...), from {@code show stat}. */
    public Map<String, String> serverStatus() {
        String[] lines = command("show stat").split("\n");
        List<String> header = List.of(lines[0].replaceFirst("^# ", "").split(","));
        int proxy = header.indexOf("pxname");
        int name = header.indexOf("svname");
        int status = header.indexOf("status");
        Map<String, String> servers = new LinkedHashMap<>();
        for (String line : Arrays.copyOfRange(lines, 1, lines.length)) {
            String[] fields = line.split(",", -1);
            if (fields.length > status && fields[proxy].equals("wsgate") && !fields[name].equals("BACKEND")) {
                servers.put(fields[name], fields[status]);
            }
        }
        return servers;
    }

    /** One column of {@code show stat} for {@code server} (e.g. {@code check_status}, {@code check_code}, {@code stot}). */
    public String serverField(String server, String field) {
        String[] lines = command("show stat").split("\n");
        List<String> header = List.of(lines[0].replaceFirst("^# ", "").split(","));
        for (String line : Arrays.copyOfRange(lines, 1, lines.length)) {
            String[] fields = line.split(",", -1);
            if (fields.length > header.size() - 2 && fields[0].equals("wsgate") && fields[1].equals(server)) {
                return fields[header.indexOf(field)];
            }
        }
        throw new IllegalArgumentException("no server " + server + " in HAProxy's stats");
    }

    /** Waits until HAProxy's checks show {@code server} with {@code status} (e.g. {@code UP}, {@code DOWN}). */
    public void awaitStatus(String server, String status, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (serverStatus().getOrDefault(server, "").startsWith(status)) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new IllegalStateException(
                "HAProxy server " + server + " not " + status + " within " + timeout + ": " + serverStatus());
    }

    /** One command on the admin socket; its whole answer. */
    public String command(String command) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(this.dir.resolve("admin.sock")));
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A directory for HAProxy's files under {@code target/haproxy/}, kept after the test for reading. */
    public static Path workDir(String name) {
        return Paths.get("target", "haproxy", name + "-" + System.currentTimeMillis());
    }

    @Override
    public void close() {
        this.process.destroy();
        try {
            if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
                this.process.destroyForcibly();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            this.process.destroyForcibly();
        }
    }
}
