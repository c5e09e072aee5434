package io.wsgate.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The page at {@code GET /} over plain HTTP: its headers, nothing it would load from elsewhere, and where it gives
 * way: to a WebSocket upgrade of {@code /} and to a route of the user's that takes {@code /}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "wsgate.health.enabled=false")
class TryItPageIntegrationTests {

    private static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        backend = ScriptedBackend.start();
        // A user's route for / (requests with ?app only): it is served ahead of the page.
        String route = "spring.cloud.gateway.server.webflux.routes[0].";
        registry.add(route + "id", () -> "home");
        registry.add(route + "uri", () -> "http://127.0.0.1:" + backend.port());
        registry.add(route + "predicates[0]", () -> "Path=/");
        registry.add(route + "predicates[1]", () -> "Query=app");
        registry.add(route + "filters[0]", () -> "SetPath=/http");
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageWithItsSecurityHeaders() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html;charset=UTF-8");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy)
                .startsWith("default-src 'none'; script-src 'sha256-")
                .contains("; style-src 'sha256-", "; connect-src 'self';", "frame-ancestors 'none'")
                .doesNotContain("unsafe");
        assertThat(page.body()).contains("<title>wsgate: try it</title>", "value=\"/ws/\"");
    }

    @Test
    void loadsNothingFromTheNetwork() throws Exception {
        String body = get("/").body();
        assertThat(body).doesNotContain("http://", "https://", "src=", "@import", "url(");
        assertThat(body).contains("<link rel=\"icon\" href=\"data:,\">");
    }

    @Test
    void leavesAWebSocketUpgradeOfTheRootToTheGateway() throws IOException {
        assertThat(RawHttp.exchange(this.port, RawHttp.upgradeRequest("/")).status())
                .isEqualTo(404);
    }

    @Test
    void givesWayToARouteOfTheUsersForTheRoot() throws Exception {
        HttpResponse<String> routed = get("/?app=1");
        assertThat(routed.statusCode()).isEqualTo(200);
        assertThat(routed.body()).isEqualTo("plain http");
    }

    @Test
    void answersOnlyGet() throws Exception {
        HttpResponse<String> post = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/"))
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(404);
    }
}
