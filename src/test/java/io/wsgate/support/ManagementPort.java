package io.wsgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/**
 * Reads a wsgate process's management port from outside: actuator pages and sums of Prometheus samples, as an
 * operator's scraper would see them.
 */
public final class ManagementPort {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final int port;

    public ManagementPort(int port) {
        this.port = port;
    }

    /** The body of {@code GET path}, whatever the status (health answers 503 when DOWN). */
    public String get(String path) {
        return send("GET", path, null).body();
    }

    /** {@code method path} with an optional JSON body; the response whatever its status. */
    public HttpResponse<String> send(String method, String path, String jsonBody) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(
                        method,
                        jsonBody != null
                                ? HttpRequest.BodyPublishers.ofString(jsonBody)
                                : HttpRequest.BodyPublishers.noBody())
                .build();
        // A connection of its own per write: a request following a refused write on a kept-alive JDK client
        // connection twice went unanswered until the client gave up (not reproduced with raw keep-alive sockets).
        HttpClient http = jsonBody == null && method.equals("GET")
                ? HTTP
                : HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10))
                        .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The sum of the samples of {@code name} (a Prometheus name, e.g. {@code wsgate_sessions_active}) whose
     * labels include every {@code label="value"} given; 0 when there is none.
     */
    public double sum(String name, String... labels) {
        return sumOf(get("/actuator/prometheus"), name, labels);
    }

    /** {@link #sum(String, String...)} over an exposition already scraped. */
    public static double sumOf(String exposition, String name, String... labels) {
        return exposition
                .lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> Arrays.stream(labels).allMatch(line::contains))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
