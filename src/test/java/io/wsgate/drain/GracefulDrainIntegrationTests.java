package io.wsgate.drain;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.wsgate.WsgateApplication;
import io.wsgate.support.FreePorts;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graceful drain with a real SIGTERM to a real gateway process: readiness goes down while sessions are still
 * open, new handshakes get 503 with Retry-After, every session is closed with 1001 on both legs, spread over the
 * drain window, and the process exits soon after the window.
 */
class GracefulDrainIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** A whole Spring Boot start in a fresh JVM, on a machine that may be busy. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(4);

    private static final Duration DRAIN_WINDOW = Duration.ofSeconds(3);

    private static final int SESSIONS = 6;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path workDir;

    @Test
    void sigtermTakesReadinessDownRefusesHandshakesAndClosesEverySessionWith1001WithinTheWindow() throws Exception {
        try (ScriptedBackend backend = ScriptedBackend.start()) {
            int port = FreePorts.next();
            int managementPort = FreePorts.next();
            Path log = this.workDir.resolve("gateway.log");
            Process gateway = startGateway(port, managementPort, backend.port(), log);
            ExecutorService waiters = Executors.newFixedThreadPool(SESSIONS);
            try {
                awaitReady(gateway, managementPort, log);
                List<JdkWebSocketClient> clients = new ArrayList<>();
                List<CompletableFuture<Long>> closedAt = new ArrayList<>();
                for (int i = 0; i < SESSIONS; i++) {
                    JdkWebSocketClient client =
                            JdkWebSocketClient.connect(URI.create("ws://127.0.0.1:" + port + "/drained/?t=s" + i));
                    client.sendText("hello " + i);
                    assertThat(client.nextText()).isEqualTo("hello " + i);
                    clients.add(client);
                    closedAt.add(CompletableFuture.supplyAsync(
                            () -> {
                                client.awaitClose();
                                return System.nanoTime();
                            },
                            waiters));
                }

                long sigterm = System.nanoTime();
                gateway.destroy(); // SIGTERM on Linux and macOS

                // Watch from outside while the gateway drains.
                int readyWhileOpen = 0;
                RawHttp.Response refused = null;
                long deadline = sigterm + TIMEOUT.toNanos();
                while (gateway.isAlive() && System.nanoTime() < deadline && (readyWhileOpen == 0 || refused == null)) {
                    boolean someOpen = closedAt.stream().anyMatch(close -> !close.isDone());
                    int ready = status(managementPort, "/readyz");
                    if (ready != 200 && someOpen && readyWhileOpen == 0) {
                        readyWhileOpen = ready;
                    }
                    if (refused == null && someOpen) {
                        RawHttp.Response handshake = upgrade(port);
                        if (handshake != null && handshake.status() == 503) {
                            refused = handshake;
                        }
                    }
                    Thread.sleep(20);
                }

                for (int i = 0; i < SESSIONS; i++) {
                    assertThat(clients.get(i).awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1001, "going away"));
                    assertThat(backend.session("s" + i).awaitClose())
                            .isEqualTo(new WebSocketCloseStatus(1001, "going away"));
                }
                assertThat(gateway.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                        .isTrue();
                // Stopped as asked: status 0, not the JVM's 143 for a SIGTERM.
                assertThat(gateway.exitValue()).isZero();
                long exitedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm);
                String output = Files.readString(log);

                // Readiness was down (503, or the probe port already closed) while sessions were still open.
                assertThat(readyWhileOpen).as(output).isIn(503, -1);
                assertThat(refused)
                        .as("a handshake refused with 503 during the drain\n" + output)
                        .isNotNull();
                assertThat(refused.header("Retry-After")).isEqualTo("7");
                // Spread: the closes are scheduled window/n apart (first to last: 2.5 s here); all at once would be
                // a few milliseconds. Half the scheduled spread leaves room for the client threads' wake-ups.
                List<Long> times =
                        closedAt.stream().map(CompletableFuture::join).sorted().toList();
                long spreadMillis = TimeUnit.NANOSECONDS.toMillis(times.get(SESSIONS - 1) - times.get(0));
                assertThat(spreadMillis)
                        .isGreaterThanOrEqualTo(DRAIN_WINDOW.toMillis() * (SESSIONS - 1) / SESSIONS / 2);
                // Exits within the window plus a margin: the web server finds no connection left to wait for.
                assertThat(exitedAfterMillis).as(output).isLessThan(DRAIN_WINDOW.toMillis() + 10_000);
                assertThat(output)
                        .contains("Shutting down: readiness is REFUSING_TRAFFIC, new handshakes get 503; closing "
                                + SESSIONS + " sessions with 1001 over 3000ms")
                        .contains("closed by gateway: shutdown (gateway shutting down), sent client 1001 backend 1001")
                        .contains("Route drained: refused handshake from 127.0.0.1")
                        .contains("Drained: every session closed");
                // Readiness first: the drain announced before any session was closed.
                assertThat(output.indexOf("Shutting down: readiness")).isLessThan(output.indexOf("closed by gateway"));
                System.out.println("Gateway exited " + exitedAfterMillis + "ms after SIGTERM (drain window "
                        + DRAIN_WINDOW.toMillis() + "ms, " + SESSIONS + " sessions, closes spread over " + spreadMillis
                        + "ms, readiness during the drain: " + readyWhileOpen + ")");
            } finally {
                waiters.shutdownNow();
                if (gateway.isAlive()) {
                    gateway.destroyForcibly();
                }
            }
        }
    }

    private static Process startGateway(int port, int managementPort, int backendPort, Path log) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String route = "--spring.cloud.gateway.server.webflux.routes[0].";
        return new ProcessBuilder(
                        java,
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        classpath,
                        WsgateApplication.class.getName(),
                        "--server.port=" + port,
                        "--management.server.port=" + managementPort,
                        "--wsgate.health.enabled=false",
                        "--wsgate.shutdown.drain-window=" + DRAIN_WINDOW.toMillis() + "ms",
                        "--wsgate.shutdown.retry-after=7s",
                        route + "id=drained",
                        route + "uri=ws://127.0.0.1:" + backendPort,
                        route + "predicates[0]=Path=/drained/**",
                        route + "filters[0]=StripPrefix=1")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private void awaitReady(Process gateway, int managementPort, Path log) throws Exception {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                throw new AssertionError("the gateway exited on start:\n" + Files.readString(log));
            }
            if (status(managementPort, "/readyz") == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the gateway was not ready within " + STARTUP_TIMEOUT + ":\n" + Files.readString(log));
    }

    /** The status of a GET on the management port, or -1 when nothing answers. */
    private int status(int managementPort, String path) throws InterruptedException {
        try {
            return this.http
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException ex) {
            return -1;
        }
    }

    private static RawHttp.Response upgrade(int port) {
        try {
            return RawHttp.exchange(port, RawHttp.upgradeRequest("/drained/?t=late"));
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }
}
