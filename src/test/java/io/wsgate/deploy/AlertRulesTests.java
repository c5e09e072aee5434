package io.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.AlertRules;
import io.wsgate.support.PrometheusServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code deploy/prometheus/alerts.yml}: valid for {@code promtool check rules}, every alert unit-tested by
 * {@code promtool test rules deploy/prometheus/alerts-test.yml} (firing and not firing), every alert with a
 * severity, a summary, a description and a section in {@code docs/runbook.md}, and the chart's copy equal to it.
 * The meter names the rules use are checked against a real scrape, and the rules loaded by a real Prometheus, in
 * {@code PrometheusDashboardIntegrationTests}.
 */
class AlertRulesTests {

    static final Path RULES = AlertRules.FILE;

    private static final Path RULES_TEST = Path.of("deploy/prometheus/alerts-test.yml");

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void promtoolFindsTheRulesValid() throws Exception {
        PrometheusServer.assumeInstalled();

        String[] result = promtool("check", "rules", RULES.toString());

        assertThat(result[0]).as(result[1]).isEqualTo("0");
        assertThat(result[1]).contains("SUCCESS: " + alerts().size() + " rules found");
    }

    @Test
    void promtoolUnitTestsOfEveryAlertPass() throws Exception {
        PrometheusServer.assumeInstalled();

        String[] result = promtool("test", "rules", RULES_TEST.toString());

        assertThat(result[0]).as(result[1]).isEqualTo("0");
        assertThat(result[1]).contains("SUCCESS");
    }

    @Test
    void everyAlertIsTestedBothFiringAndNotFiring() throws IOException {
        Map<String, Object> tests = load(RULES_TEST);
        List<String> firing = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        for (Object test : RenderedChart.list(tests, "tests")) {
            for (Object check : RenderedChart.list(test, "alert_rule_test")) {
                String name = (String) RenderedChart.at(check, "alertname");
                List<?> expected = (List<?>) RenderedChart.at(check, "exp_alerts");
                (expected == null || expected.isEmpty() ? silent : firing).add(name);
            }
        }

        assertThat(alerts()).isNotEmpty().allSatisfy(alert -> {
            String name = (String) alert.get("alert");
            assertThat(firing).as("a test where %s fires", name).contains(name);
            assertThat(silent).as("a test where %s does not fire", name).contains(name);
        });
    }

    @Test
    void everyAlertHasSeveritySummaryDescriptionAndARunbookSection() throws IOException {
        String runbook = Files.readString(Path.of("docs/runbook.md"));

        assertThat(alerts()).allSatisfy(alert -> {
            String name = (String) alert.get("alert");
            assertThat(RenderedChart.at(alert, "labels.severity")).as(name).isIn("critical", "warning", "info");
            assertThat((String) RenderedChart.at(alert, "annotations.summary"))
                    .as(name)
                    .isNotBlank();
            assertThat((String) RenderedChart.at(alert, "annotations.description"))
                    .as(name)
                    .isNotBlank();
            // GitHub's anchor of a "## WsgateDown" heading is #wsgatedown.
            assertThat(RenderedChart.at(alert, "annotations.runbook_url"))
                    .as(name)
                    .isEqualTo("docs/runbook.md#" + name.toLowerCase(Locale.ROOT));
            assertThat(runbook).as("runbook section of %s", name).contains("\n## " + name + "\n");
        });
    }

    @Test
    void theChartCarriesExactCopiesOfTheRulesAndTheDashboard() throws IOException {
        // Helm reads only files inside the chart: the chart keeps copies, which must not drift.
        assertThat(Files.readString(RenderedChart.CHART.resolve("alerts/alerts.yml")))
                .isEqualTo(Files.readString(RULES));
        assertThat(Files.readString(RenderedChart.CHART.resolve("dashboards/wsgate.json")))
                .isEqualTo(Files.readString(Path.of("deploy/grafana/dashboards/wsgate.json")));
    }

    private static List<Map<String, Object>> alerts() {
        return AlertRules.alerts();
    }

    private static Map<String, Object> load(Path file) throws IOException {
        return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    }

    private static String[] promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        // Output to a file, so that a hanging promtool cannot block the read past the timeout.
        Path output = Files.createTempFile("promtool", ".log");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("promtool " + String.join(" ", args) + " did not finish within " + TIMEOUT);
            }
            return new String[] {Integer.toString(process.exitValue()), Files.readString(output, StandardCharsets.UTF_8)
            };
        } finally {
            Files.delete(output);
        }
    }
}
