package io.wsgate.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Every request on a keep-alive connection gets its answer, however the client times the next one: one at a time,
 * or written before the previous answer has come (pipelined), on the management port (what Prometheus and probes
 * reuse connections for) and on the traffic port. Reactor Netty 1.3.6 stops reading such a connection when a queued
 * request is answered at once (reactor/reactor-netty#4361); the client's next request then never got an answer,
 * and nothing closed the connection: a scrape or a probe hung until the client gave up.
 *
 * <p>The management server gets the request-head bound of the traffic port too (its server is built apart).
 *
 * <p>Seeded: each run prints its seed, {@code -Dwsgate.keepalive.seed=S} replays it.
 */
@GatewayTest(properties = {"management.prometheus.metrics.export.enabled=true", "wsgate.handshake.header-timeout=2s"})
class HttpKeepAliveIntegrationTests {

    private static final long SEED = Long.getLong("wsgate.keepalive.seed", System.nanoTime());

    private static final int CONNECTIONS = 40;

    private static final List<String> MANAGEMENT_PATHS =
            List.of("/livez", "/readyz", "/actuator/health", "/actuator/prometheus", "/actuator/info");

    /** The try-it page, a WebSocket route asked without an upgrade, and no route at all: each gets an answer. */
    private static final List<String> TRAFFIC_PATHS = List.of("/", "/ws/", "/nowhere");

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Test
    void everyRequestOnAKeepAliveConnectionIsAnswered() throws IOException {
        System.out.printf("keep-alive: seed %d (replay: -Dwsgate.keepalive.seed=%d)%n", SEED, SEED);
        Random random = new Random(SEED);
        for (int connection = 0; connection < CONNECTIONS; connection++) {
            boolean management = random.nextInt(4) != 0;
            List<String> paths = management ? MANAGEMENT_PATHS : TRAFFIC_PATHS;
            List<String> requests = new ArrayList<>();
            for (int i = 2 + random.nextInt(8); i > 0; i--) {
                requests.add(paths.get(random.nextInt(paths.size())));
            }
            String where = "seed " + SEED + " connection " + connection + " (" + (management ? "management" : "traffic")
                    + " port, requests " + requests + ")";
            exchange(management ? this.managementPort : this.port, requests, random, where);
        }
    }

    /**
     * Deep pipelining, after the connection has carried traffic: 5,000 requests written at once are all answered, in
     * order, while the gateway reads on demand (a temporary cap of 32 requests ahead of their answers never fired
     * here: Reactor Netty does not read far ahead), and a new connection is served meanwhile.
     */
    @Test
    void fiveThousandPipelinedRequestsAreAllAnswered() throws Exception {
        byte[] one = "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] many = new byte[one.length * 5_000];
        for (int i = 0; i < 5_000; i++) {
            System.arraycopy(one, 0, many, i * one.length, one.length);
        }
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.port)) {
            socket.setSoTimeout(20_000);
            // Written apart: the gateway reads on demand, so the write blocks until it has read most of it.
            Thread writer = new Thread(() -> {
                try {
                    socket.getOutputStream().write(many);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
            writer.start();
            InputStream in = socket.getInputStream();
            for (int i = 0; i < 5_000; i++) {
                RawHttp.Response response = RawHttp.readHead(in);
                RawHttp.readBody(in, response);
                assertThat(response.status()).as("answer %d", i).isEqualTo(404);
                if (i == 2_500) {
                    assertThat(RawHttp.exchange(this.port, "GET /nowhere HTTP/1.1", "Host: localhost")
                                    .status())
                            .isEqualTo(404);
                }
            }
            writer.join(20_000);
        }
    }

    @Test
    void aRequestHeadTooSlowGets408OnTheManagementPortToo() throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.managementPort)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream()
                    .write("GET /livez HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            assertThat(RawHttp.readHead(socket.getInputStream()).status()).isEqualTo(408);
        }
    }

    /**
     * Sends {@code requests} on one connection in random batches (a batch is written at once, then its answers are
     * read), and checks that each gets its answer, in order.
     */
    private static void exchange(int port, List<String> requests, Random random, String where) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            // Far longer than any answer takes; a request that is never answered fails here rather than hanging.
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            int next = 0;
            while (next < requests.size()) {
                int batch = 1 + random.nextInt(requests.size() - next);
                StringBuilder written = new StringBuilder();
                for (String path : requests.subList(next, next + batch)) {
                    written.append("GET ").append(path).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
                }
                out.write(written.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                for (int i = next; i < next + batch; i++) {
                    RawHttp.Response response;
                    try {
                        response = RawHttp.readHead(in);
                        RawHttp.readBody(in, response);
                    } catch (IOException | RuntimeException ex) {
                        throw new AssertionError(
                                where + ": no answer to request " + i + " (" + requests.get(i) + "): " + ex, ex);
                    }
                    // Any answer will do (health is DOWN here: the bundled echo's route has no backend).
                    assertThat(response.status())
                            .as("%s: request %d (%s)", where, i, requests.get(i))
                            .isBetween(200, 599);
                    if ("close".equalsIgnoreCase(response.header("connection"))) {
                        // The server ends this connection after the answer (a refused request): nothing more to ask.
                        return;
                    }
                }
                next += batch;
            }
        }
    }
}
