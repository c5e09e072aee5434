package io.wsgate.support;

import static io.wsgate.support.Gateway.TIMEOUT;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's {@code prometheus} package) on loopback, scraping with a given config. Missing
 * Prometheus skips the test with a message, unless {@code WSGATE_REQUIRE_PROMETHEUS=1} (as in CI), which fails it.
 */
public final class PrometheusServer implements AutoCloseable {

    private final Process process;

    private final int port;

    private final HttpClient http = HttpClient.newHttpClient();

    private PrometheusServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Whether the {@code prometheus} and {@code promtool} binaries are on the PATH; skips or fails if not. */
    public static void assumeInstalled() {
        InstalledBinaries.assume("WSGATE_REQUIRE_PROMETHEUS", "prometheus", "prometheus", "promtool");
    }

    public static PrometheusServer start(Path config, Path workDir) throws IOException, InterruptedException {
        int port = FreePorts.next();
        Process process = new ProcessBuilder(
                        "prometheus",
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + workDir.resolve("tsdb"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("prometheus.log").toFile())
                .start();
        PrometheusServer server = new PrometheusServer(process, port);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (server.get("/-/ready").statusCode() == 200) {
                    return server;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        server.close();
        throw new IllegalStateException("Prometheus did not become ready; see " + workDir.resolve("prometheus.log"));
    }

    /** The raw JSON answer of an instant query. */
    public String query(String promql) throws IOException, InterruptedException {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
                .body();
    }

    /** The raw JSON answer of the targets API: scrape health and last error, for failure messages. */
    public String targets() throws IOException, InterruptedException {
        return get("/api/v1/targets").body();
    }

    /** The raw JSON answer of the rules API: each rule's health and last evaluation error. */
    public String rules() throws IOException, InterruptedException {
        return get("/api/v1/rules").body();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return this.http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
                        .timeout(TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Runs {@code promtool check metrics} on {@code exposition}; returns its exit code and output. */
    public static String[] promtoolCheckMetrics(String exposition) throws IOException, InterruptedException {
        Process promtool = new ProcessBuilder("promtool", "check", "metrics")
                .redirectErrorStream(true)
                .start();
        promtool.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!promtool.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            promtool.destroyForcibly();
            throw new IllegalStateException("promtool did not finish");
        }
        return new String[] {Integer.toString(promtool.exitValue()), output};
    }

    @Override
    public void close() throws InterruptedException {
        this.process.destroy();
        if (!this.process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            this.process.destroyForcibly();
        }
    }
}
