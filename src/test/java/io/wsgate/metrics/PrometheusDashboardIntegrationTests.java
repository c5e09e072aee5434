package io.wsgate.metrics;

import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.AlertRules;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.PrometheusServer;
import io.wsgate.support.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The repo's monitoring assets against a real Prometheus: {@code deploy/prometheus/prometheus.yml} (target pointed
 * at this gateway) scrapes the gateway under a short load, every PromQL expression of
 * {@code deploy/grafana/dashboards/wsgate.json} returns data, {@code promtool check metrics} finds nothing
 * wrong with wsgate's own meters, every metric and label the alerting rules of {@code deploy/prometheus/alerts.yml}
 * select is exported (a renamed meter breaks the build), and Prometheus evaluates every rule without error.
 */
@GatewayTest(
        properties = {
            "management.defaults.metrics.export.enabled=true",
            "management.prometheus.metrics.export.enabled=true",
            "wsgate.health.interval=500ms"
        })
class PrometheusDashboardIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Backend
    static EchoBackend echo;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @BeforeAll
    static void requirePrometheus() {
        PrometheusServer.assumeInstalled();
    }

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        // A session limit, so the limit gauge the alerts compare with is exported.
        routes.add("live", "ws://127.0.0.1:" + echo.port(), "/live/**").metadata("max-sessions", "1000");
        routes.add("dead", "ws://127.0.0.1:" + FreePorts.next(), "/dead/**");
        // Per-session rates, so the throttle and gateway-close panels have something to show.
        routes.add("throttled", "ws://127.0.0.1:" + echo.port(), "/throttled/**")
                .metadata("message-rate-client-to-backend", "2/s");
        routes.add("limited", "ws://127.0.0.1:" + echo.port(), "/limited/**")
                .metadata("message-rate-client-to-backend", "2/s")
                .metadata("rate-limit-action", "close");
    }

    /** Prometheus with the repo's config and alerting rules, scraping this gateway every second. */
    private PrometheusServer startPrometheus(Path work) throws Exception {
        String config = Files.readString(Path.of("deploy/prometheus/prometheus.yml"))
                .replace("gateway:8081", "127.0.0.1:" + this.managementPort)
                .replaceAll("scrape_interval: \\S+", "scrape_interval: 1s")
                .replaceAll("evaluation_interval: \\S+", "evaluation_interval: 1s");
        Path configFile = work.resolve("prometheus.yml");
        Files.writeString(configFile, config);
        // rule_files names alerts.yml beside the config.
        Files.copy(AlertRules.FILE, work.resolve("alerts.yml"));
        return PrometheusServer.start(configFile, work);
    }

    @Test
    void everyDashboardQueryReturnsDataFromARealScrape(@TempDir Path work) throws Exception {
        List<JdkWebSocketClient> openClients = List.of();
        try (PrometheusServer prometheus = startPrometheus(work)) {
            await().atMost(TIMEOUT)
                    .until(() -> prometheus.query("up{job=\"wsgate\"} == 1").contains("\"value\""));
            openClients = generateLoad();
            // A few scrapes after the load, so every rate() has two samples.
            Thread.sleep(4000);

            Map<String, String> failures = new LinkedHashMap<>();
            for (String expr : dashboardQueries()) {
                String promql = expr.replace("$__rate_interval", "1m");
                String missing = answerWithoutData(prometheus, promql);
                if (missing != null) {
                    failures.put(promql, missing);
                }
            }
            assertThat(failures)
                    .as(
                            "scrape targets: %s; wsgate series: %s",
                            prometheus.targets(), prometheus.query("count by (__name__) ({__name__=~\"wsgate_.*\"})"))
                    .isEmpty();
        } finally {
            closeAll(openClients);
        }
    }

    @Test
    void promtoolFindsNoProblemInWsgatesMeters() throws Exception {
        closeAll(generateLoad());
        String scrape = scrape();
        // Only wsgate's own families: the stock JVM and Spring meters have lint findings of their own.
        String ours = scrape.lines()
                .filter(line -> line.startsWith("wsgate_")
                        || line.startsWith("# HELP wsgate_")
                        || line.startsWith("# TYPE wsgate_"))
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(ours).contains("wsgate_sessions_active").contains("wsgate_messages_total");
        String[] result = PrometheusServer.promtoolCheckMetrics(ours);
        assertThat(result[1]).isEmpty();
        assertThat(result[0]).isEqualTo("0");
    }

    @Test
    void everyMetricAndLabelTheAlertRulesSelectIsExported() throws Exception {
        closeAll(generateLoad());
        String scrape = scrape();

        Map<String, Set<String>> selectors = AlertRules.selectors();
        assertThat(selectors).containsKeys("wsgate_sessions_active", "wsgate_route_up", "wsgate_routes_reloads_total");
        Map<String, String> missing = new LinkedHashMap<>();
        selectors.forEach((metric, labels) -> {
            if (metric.equals("up")) {
                return; // made by Prometheus, not the gateway
            }
            Matcher samples = Pattern.compile("(?m)^" + Pattern.quote(metric) + "[{ ](.*)$")
                    .matcher(scrape);
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
                missing.put(metric, "selects labels " + labels + ", exported " + exported);
            }
        });
        assertThat(missing)
                .as("series of alerts.yml the gateway does not export")
                .isEmpty();
    }

    @Test
    void prometheusLoadsAndEvaluatesEveryAlertRuleWithoutError(@TempDir Path work) throws Exception {
        closeAll(generateLoad());
        int expected = AlertRules.alerts().size();

        try (PrometheusServer prometheus = startPrometheus(work)) {
            await().atMost(TIMEOUT).untilAsserted(() -> {
                Map<String, String> health = new LinkedHashMap<>();
                for (JsonNode group :
                        JSON.readTree(prometheus.rules()).path("data").path("groups")) {
                    for (JsonNode rule : group.path("rules")) {
                        health.put(
                                rule.path("name").asString(),
                                rule.path("health").asString() + " "
                                        + rule.path("lastError").asString(""));
                    }
                }
                assertThat(health).hasSize(expected);
                assertThat(health)
                        .allSatisfy((name, state) -> assertThat(state).as(name).isEqualTo("ok "));
            });
            // The gateway is scraped: the rule for a gateway down stays quiet.
            assertThat(prometheus.query("ALERTS{alertname=\"WsgateDown\"}")).doesNotContain("WsgateDown");
        }
    }

    /** Null once the query returns data (within a bounded wait), else Prometheus's last answer. */
    private static String answerWithoutData(PrometheusServer prometheus, String promql) throws Exception {
        String answer = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            answer = prometheus.query(promql);
            JsonNode json = JSON.readTree(answer);
            if ("success".equals(json.path("status").asString())
                    && !json.path("data").path("result").isEmpty()) {
                return null;
            }
            Thread.sleep(1000);
        }
        return answer;
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

    /** Opens ten sessions through the gateway, closes half and returns the half still open. */
    private List<JdkWebSocketClient> generateLoad() throws Exception {
        List<JdkWebSocketClient> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/live/"));
            for (int m = 0; m < 10; m++) {
                client.sendText("message " + m);
                client.nextText();
            }
            client.sendBinary(ByteBuffer.wrap(new byte[64]));
            client.nextMessage();
            clients.add(client);
        }
        // Half close, half stay open so the active gauge has something to show.
        for (int i = 0; i < 5; i++) {
            clients.get(i).close(1000 + i % 2, "");
        }
        RawHttp.exchange(this.port, RawHttp.upgradeRequest("/dead/"));
        // Four messages at 2/s with a burst of 2: two held back, none lost.
        JdkWebSocketClient throttled = JdkWebSocketClient.connect(wsUri(this.port, "/throttled/"));
        for (int m = 0; m < 4; m++) {
            throttled.sendText("held " + m);
        }
        for (int m = 0; m < 4; m++) {
            throttled.nextText();
        }
        throttled.close(1000, "");
        // Past the rate with close: the gateway ends the session with 1008.
        JdkWebSocketClient limited = JdkWebSocketClient.connect(wsUri(this.port, "/limited/"));
        try {
            for (int m = 0; m < 4; m++) {
                limited.sendText("flood " + m);
            }
        } catch (java.util.concurrent.CompletionException closedMeanwhile) {
            // The gateway's close came first; the client's output is closed.
        }
        assertThat(limited.awaitClose().code()).isEqualTo(1008);
        return clients.subList(5, clients.size());
    }

    private static void closeAll(List<JdkWebSocketClient> clients) {
        for (JdkWebSocketClient client : clients) {
            client.close(1000, "");
        }
    }

    private static List<String> dashboardQueries() throws Exception {
        JsonNode dashboard = JSON.readTree(Files.readString(Path.of("deploy/grafana/dashboards/wsgate.json")));
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(target.path("expr").asString());
            }
        }
        assertThat(queries).hasSizeGreaterThan(10);
        return queries;
    }
}
