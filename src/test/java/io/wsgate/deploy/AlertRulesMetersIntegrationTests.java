package io.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.PrometheusServer;
import io.wsgate.support.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The alerting rules against what the gateway really exports: every metric (and every label in a selector)
 * that an expression of {@code deploy/prometheus/alerts.yml} names is in a real scrape of
 * {@code /actuator/prometheus}, so renaming a meter breaks the build; and a real Prometheus loads the rules with
 * {@code deploy/prometheus/prometheus.yml} and evaluates each of them on the gateway's series without error.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "management.defaults.metrics.export.enabled=true",
            "management.prometheus.metrics.export.enabled=true",
            "wsgate.health.interval=500ms"
        })
class AlertRulesMetersIntegrationTests {

    /** Series Prometheus makes itself, not the gateway. */
    private static final Set<String> FROM_PROMETHEUS = Set.of("up");

    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{[^}]*})?\\s*(\\()?");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static EchoBackend echo;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        echo = EchoBackend.start();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("live", "ws://127.0.0.1:" + echo.port(), "/live/**");
        routes.add("dead", "ws://127.0.0.1:" + FreePorts.next(), "/dead/**");
    }

    @AfterAll
    static void stopBackend() {
        if (echo != null) {
            echo.close();
        }
    }

    @Test
    void everyMetricAndLabelTheRulesNameIsExportedByTheGateway() throws Exception {
        generateLoad();
        String scrape = scrape();

        Map<String, Set<String>> selectors = selectors();
        assertThat(selectors).containsKeys("wsgate_sessions_active", "wsgate_route_up", "wsgate_routes_reloads_total");
        Map<String, String> missing = new LinkedHashMap<>();
        selectors.forEach((metric, labels) -> {
            if (FROM_PROMETHEUS.contains(metric)) {
                return;
            }
            Pattern sample = Pattern.compile("(?m)^" + Pattern.quote(metric) + "[{ ](.*)$");
            Matcher samples = sample.matcher(scrape);
            Set<String> exported = new LinkedHashSet<>();
            boolean found = false;
            while (samples.find()) {
                found = true;
                Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(samples.group(1));
                while (label.find()) {
                    exported.add(label.group(1));
                }
            }
            if (!found) {
                missing.put(metric, "not in the scrape");
            } else if (!exported.containsAll(labels)) {
                missing.put(metric, "labels " + labels + ", exported " + exported);
            }
        });
        assertThat(missing)
                .as("metrics of alerts.yml the gateway does not export")
                .isEmpty();
    }

    @Test
    void aRealPrometheusLoadsAndEvaluatesEveryRuleWithoutError(@TempDir Path work) throws Exception {
        PrometheusServer.assumeInstalled();
        String config = Files.readString(Path.of("deploy/prometheus/prometheus.yml"))
                .replace("gateway:8081", "127.0.0.1:" + this.managementPort)
                .replaceAll("scrape_interval: \\S+", "scrape_interval: 1s")
                .replaceAll("evaluation_interval: \\S+", "evaluation_interval: 1s");
        Files.writeString(work.resolve("prometheus.yml"), config);
        Files.copy(AlertRulesTests.RULES, work.resolve("alerts.yml"));
        generateLoad();

        try (PrometheusServer prometheus = PrometheusServer.start(work.resolve("prometheus.yml"), work)) {
            int expected = AlertRulesTests.alerts().size();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode groups = JSON.readTree(prometheus.rules()).path("data").path("groups");
                Map<String, String> health = new LinkedHashMap<>();
                for (JsonNode group : groups) {
                    for (JsonNode rule : group.path("rules")) {
                        health.put(
                                rule.path("name").asString(),
                                rule.path("health").asString() + " "
                                        + rule.path("lastError").asString(""));
                    }
                }
                assertThat(health).hasSize(expected);
                assertThat(health.values()).allMatch(h -> h.equals("ok "), "every rule evaluated: " + health);
            });
            // The gateway is up: the rule for it stays quiet.
            assertThat(prometheus.query("ALERTS{alertname=\"WsgateDown\"}")).doesNotContain("WsgateDown");
        }
    }

    /** Every metric name the rules' expressions select, with the label names their matchers use. */
    static Map<String, Set<String>> selectors() throws Exception {
        Map<String, Set<String>> selectors = new LinkedHashMap<>();
        for (Map<String, Object> alert : AlertRulesTests.alerts()) {
            String expr = ((String) alert.get("expr"))
                    .replaceAll("\"[^\"]*\"", "\"\"")
                    .replaceAll("\\[[^]]*]", "");
            expr = GROUPING.matcher(expr).replaceAll(" ");
            Matcher m = SELECTOR.matcher(expr);
            while (m.find()) {
                String name = m.group(1);
                if (m.group(3) != null || KEYWORDS.contains(name)) {
                    continue; // a function or aggregation, or an operator
                }
                Set<String> labels = selectors.computeIfAbsent(name, k -> new LinkedHashSet<>());
                if (m.group(2) != null) {
                    Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)")
                            .matcher(m.group(2));
                    while (label.find()) {
                        labels.add(label.group(1));
                    }
                }
            }
        }
        return selectors;
    }

    /** Relayed sessions closed by the client, and a refused upgrade to a dead backend. */
    private void generateLoad() throws Exception {
        JdkWebSocketClient closed = JdkWebSocketClient.connect(uri("/live/"));
        closed.sendText("hello");
        closed.nextText();
        closed.close(1000, "");
        JdkWebSocketClient open = JdkWebSocketClient.connect(uri("/live/"));
        open.sendText("hello");
        open.nextText();
        open.close(1000, "");
        RawHttp.exchange(this.port, RawHttp.upgradeRequest("/dead/"));
        await().atMost(Duration.ofSeconds(30)).until(() -> scrape().contains("wsgate_sessions_closed_total{"));
    }

    private String scrape() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + this.managementPort + "/actuator/prometheus"))
                                .header("Accept", "text/plain; version=0.0.4")
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + this.port + path);
    }
}
