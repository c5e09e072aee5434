package io.wsgate.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** With {@code wsgate.echo.enabled=false} the gateway serves neither the echo nor the page: both are 404. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"wsgate.echo.enabled=false", "wsgate.health.enabled=false"})
class EchoDisabledIntegrationTests {

    @LocalServerPort
    int port;

    @Test
    void servesNoPageAtTheRoot() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/"))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("Content-Security-Policy")).isEmpty();
    }

    @Test
    void servesNoEcho() throws Exception {
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/echo/")).status())
                .isEqualTo(404);
    }
}
