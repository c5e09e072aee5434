package io.wsgate.reload;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.WsgateApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The actuator's route API opened up by an operator ({@code access: unrestricted}; wsgate's own default is
 * read-only): writes reach {@link RouteFileRepository} and are refused with a clear status, because routes come from
 * the configuration and the route file; reading and refreshing still work.
 */
@ExtendWith(OutputCaptureExtension.class)
class RouteApiWritesTests {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path config;

    @Test
    void routeWritesAreRefusedWith405AndTheRoutesInForceStay(CapturedOutput output) throws Exception {
        try (ConfigurableApplicationContext gateway = new SpringApplicationBuilder(WsgateApplication.class)
                .run(
                        "--wsgate.reload.path=" + this.config.resolve("application.yml"),
                        "--management.endpoint.gateway.access=unrestricted",
                        "--server.port=0",
                        "--management.server.port=0",
                        "--spring.jmx.enabled=false")) {
            String actuator = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.management.port")
                    + "/actuator/gateway";

            HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(actuator + "/routes/api"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"uri\":\"ws://127.0.0.1:9\",\"predicates\":[\"Path=/api/**\"]}")));
            HttpResponse<String> deleted = send(HttpRequest.newBuilder(URI.create(actuator + "/routes/echo"))
                    .DELETE());
            HttpResponse<String> refreshed = send(HttpRequest.newBuilder(URI.create(actuator + "/refresh"))
                    .POST(HttpRequest.BodyPublishers.noBody()));

            assertThat(created.statusCode()).isEqualTo(405);
            assertThat(deleted.statusCode()).isEqualTo(405);
            assertThat(refreshed.statusCode()).isEqualTo(200);
            String routes = send(HttpRequest.newBuilder(URI.create(actuator + "/routes")))
                    .body();
            assertThat(routes).contains("\"route_id\":\"echo\"").doesNotContain("\"route_id\":\"api\"");
            assertThat(output).contains("Route API request to create or replace route api refused: wsgate's routes");
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
