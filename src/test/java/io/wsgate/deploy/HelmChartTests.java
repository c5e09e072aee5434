package io.wsgate.deploy;

import static io.wsgate.deploy.RenderedChart.at;
import static io.wsgate.deploy.RenderedChart.list;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** {@code helm lint} and {@code helm template} of {@code helm/wsgate}: defaults, variants, schema. */
class HelmChartTests {

    @Test
    void lintPassesInStrictMode() {
        LintResult result = new Helm(RenderedChart.CHART).lint().strict().call();

        assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
    }

    @Test
    void gatewayListensOnTrafficAndManagementPortsWithProbesOnManagement() {
        Map<String, Object> container = RenderedChart.render().gatewayContainer();

        assertThat(list(container, "ports"))
                .containsExactly(
                        Map.of("name", "http", "containerPort", 8080, "protocol", "TCP"),
                        Map.of("name", "management", "containerPort", 8081, "protocol", "TCP"));
        assertThat(at(container, "livenessProbe.httpGet")).isEqualTo(Map.of("path", "/livez", "port", "management"));
        assertThat(at(container, "startupProbe.httpGet")).isEqualTo(Map.of("path", "/livez", "port", "management"));
        assertThat(at(container, "readinessProbe.httpGet")).isEqualTo(Map.of("path", "/readyz", "port", "management"));
        assertThat(at(container, "resources.limits.memory")).isEqualTo("512Mi");
    }

    @Test
    void gatewayRunsAsNonRootOnReadOnlyRootFilesystemWithWritableTmp() {
        RenderedChart chart = RenderedChart.render();
        Map<String, Object> pod = RenderedChart.asMap(at(chart.get("Deployment", "demo-wsgate"), "spec.template.spec"));
        Map<String, Object> container = chart.gatewayContainer();

        assertThat(at(pod, "securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat(at(pod, "securityContext.runAsUser")).isEqualTo(10001);
        assertThat(at(container, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(at(container, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(at(container, "securityContext.capabilities.drop")).isEqualTo(List.of("ALL"));
        assertThat(list(container, "volumeMounts")).contains(Map.of("name", "tmp", "mountPath", "/tmp"));
        assertThat(list(pod, "volumes")).contains(Map.of("name", "tmp", "emptyDir", Map.of()));
    }

    @Test
    void routesConfigMapIsMountedWhereTheGatewayReadsItAndRollsPodsOnChange() {
        RenderedChart chart = RenderedChart.render();
        Map<String, Object> deployment = chart.get("Deployment", "demo-wsgate");
        Map<String, Object> container = chart.gatewayContainer();

        // Working directory /app: Spring Boot reads ./config/application.yml by default.
        assertThat(list(container, "volumeMounts"))
                .contains(Map.of("name", "config", "mountPath", "/app/config", "readOnly", true));
        assertThat(list(deployment, "spec.template.spec.volumes"))
                .contains(Map.of("name", "config", "configMap", Map.of("name", "demo-wsgate")));
        assertThat(chart.applicationYaml())
                .contains("uri: ws://demo-wsgate-echo:8088", "Path=/ws/**")
                .doesNotContain("{{");

        String checksum = (String) at(deployment, "spec.template.metadata.annotations.checksum/config");
        String changed = (String) at(
                RenderedChart.render(t -> t.set("extraConfig.wsgate.proxy.handshake-timeout", "5s"))
                        .get("Deployment", "demo-wsgate"),
                "spec.template.metadata.annotations.checksum/config");
        assertThat(checksum).hasSize(64).isNotEqualTo(changed);
    }

    @Test
    void terminationGraceOutlastsPreStopPauseAndDrainWindow() {
        assertGraceOutlastsDrain(RenderedChart.render(), 5, Duration.ofSeconds(20));
        assertGraceOutlastsDrain(
                RenderedChart.render(t -> t.set("drain.window", "90s").set("drain.preStopSeconds", 10)),
                10,
                Duration.ofSeconds(90));
    }

    @Test
    void tooShortTerminationGraceIsRejected() {
        assertThatThrownBy(() -> RenderedChart.render(t -> t.set("terminationGracePeriodSeconds", 25)))
                .hasMessageContaining("terminationGracePeriodSeconds (25) must exceed");
    }

    private static void assertGraceOutlastsDrain(RenderedChart chart, int preStop, Duration window) {
        Map<String, Object> container = chart.gatewayContainer();
        assertThat(at(container, "lifecycle.preStop.exec.command")).isEqualTo(List.of("sleep", "" + preStop));
        assertThat(list(container, "env"))
                .contains(Map.of("name", "WSGATE_SHUTDOWN_DRAINWINDOW", "value", window.toSeconds() + "s"));
        int grace =
                (int) at(chart.get("Deployment", "demo-wsgate"), "spec.template.spec.terminationGracePeriodSeconds");
        assertThat(grace).isGreaterThan(preStop + (int) window.toSeconds());
    }

    @ParameterizedTest(name = "service.type={0}")
    @ValueSource(strings = {"ClusterIP", "NodePort", "LoadBalancer"})
    void managementPortIsOnItsOwnClusterIpServiceWhateverTheTrafficServiceType(String type) {
        RenderedChart chart = RenderedChart.render(t -> t.set("service.type", type)
                .set("service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-type", "nlb"));
        Map<String, Object> traffic = chart.get("Service", "demo-wsgate");
        Map<String, Object> management = chart.get("Service", "demo-wsgate-mgmt");

        assertThat(at(traffic, "spec.type")).isEqualTo(type);
        assertThat(at(traffic, "metadata.annotations"))
                .isEqualTo(Map.of("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"));
        assertThat(list(traffic, "spec.ports")).extracting(HelmChartTests::port).containsExactly("http:8080->http");

        assertThat(at(management, "spec.type")).isEqualTo("ClusterIP");
        assertThat(at(management, "metadata.annotations")).isNull();
        assertThat(list(management, "spec.ports"))
                .extracting(HelmChartTests::port)
                .containsExactly("management:8081->management");
        assertThat(at(management, "spec.selector")).isEqualTo(at(traffic, "spec.selector"));
        // The traffic and management Services, and the echo backend's.
        assertThat(chart.kinds()).filteredOn(k -> k.startsWith("Service/")).hasSize(3);
    }

    private static String port(Object port) {
        return at(port, "name") + ":" + at(port, "port") + "->" + at(port, "targetPort");
    }

    @Test
    void networkPolicyOpensTrafficToAnyoneAndManagementToTheNamespaceAndPrometheus() {
        RenderedChart chart = RenderedChart.render();
        Map<String, Object> policy = chart.get("NetworkPolicy", "demo-wsgate");

        assertThat(at(policy, "spec.podSelector.matchLabels"))
                .isEqualTo(at(chart.get("Deployment", "demo-wsgate"), "spec.selector.matchLabels"));
        assertThat(at(policy, "spec.policyTypes")).isEqualTo(List.of("Ingress"));
        assertThat(list(policy, "spec.ingress")).hasSize(2);
        // Traffic: no `from`, so from anywhere.
        assertThat(at(policy, "spec.ingress.0"))
                .isEqualTo(Map.of("ports", List.of(Map.of("port", "http", "protocol", "TCP"))));
        // Management: pods of this namespace, and Prometheus in `monitoring`.
        assertThat(at(policy, "spec.ingress.1.ports"))
                .isEqualTo(List.of(Map.of("port", "management", "protocol", "TCP")));
        assertThat(list(policy, "spec.ingress.1.from"))
                .containsExactly(
                        Map.of("podSelector", Map.of()),
                        Map.of(
                                "namespaceSelector",
                                Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring")),
                                "podSelector",
                                Map.of("matchLabels", Map.of("app.kubernetes.io/name", "prometheus"))));

        // The echo backend answers the gateway pods only, on its WebSocket port.
        Map<String, Object> echo = chart.get("NetworkPolicy", "demo-wsgate-echo");
        assertThat(at(echo, "spec.podSelector.matchLabels"))
                .isEqualTo(at(chart.get("Deployment", "demo-wsgate-echo"), "spec.selector.matchLabels"));
        assertThat(at(echo, "spec.ingress"))
                .isEqualTo(List.of(Map.of(
                        "ports",
                        List.of(Map.of("port", "ws", "protocol", "TCP")),
                        "from",
                        List.of(Map.of(
                                "podSelector", Map.of("matchLabels", at(policy, "spec.podSelector.matchLabels")))))));
    }

    @Test
    void networkPolicyIsAdjustedOrTurnedOffByValues() {
        Map<String, Object> adjusted = RenderedChart.render(t -> t.set(
                                "networkPolicy.management.fromReleaseNamespace", false)
                        .set("networkPolicy.management.from[0].namespaceSelector.matchLabels.team", "observability")
                        .set("networkPolicy.trafficFrom[0].ipBlock.cidr", "10.0.0.0/8"))
                .get("NetworkPolicy", "demo-wsgate");
        assertThat(at(adjusted, "spec.ingress.0.from"))
                .isEqualTo(List.of(Map.of("ipBlock", Map.of("cidr", "10.0.0.0/8"))));
        assertThat(at(adjusted, "spec.ingress.1.from"))
                .isEqualTo(
                        List.of(Map.of("namespaceSelector", Map.of("matchLabels", Map.of("team", "observability")))));

        // Nobody but the node (kubelet probes) on the management port: no rule for it at all.
        Map<String, Object> closed = RenderedChart.render(
                        t -> t.set("networkPolicy.management.fromReleaseNamespace", false)
                                .set("networkPolicy.management.from", "null"))
                .get("NetworkPolicy", "demo-wsgate");
        assertThat(list(closed, "spec.ingress")).hasSize(1);

        RenderedChart off = RenderedChart.render(t -> t.set("networkPolicy.enabled", false));
        assertThat(off.kinds()).noneMatch(k -> k.startsWith("NetworkPolicy/"));
    }

    @Test
    void podsMountNoServiceAccountToken() {
        RenderedChart chart = RenderedChart.render();

        for (String deployment : List.of("demo-wsgate", "demo-wsgate-echo")) {
            assertThat(at(chart.get("Deployment", deployment), "spec.template.spec.automountServiceAccountToken"))
                    .as(deployment)
                    .isEqualTo(false);
        }
        assertThat(chart.kinds()).noneMatch(k -> k.startsWith("ServiceAccount/"));
    }

    @Test
    void gatewayPodsServeNoInProcessEchoAndTheDefaultRouteGoesToTheEchoDeployment() {
        RenderedChart chart = RenderedChart.render();
        Map<String, Object> config = new Yaml(new SafeConstructor(new LoaderOptions())).load(chart.applicationYaml());

        assertThat(at(config, "wsgate.echo.enabled")).isEqualTo(false);
        assertThat(at(config, "spring.cloud.gateway.server.webflux.routes.0.uri"))
                .isEqualTo("ws://demo-wsgate-echo:8088");
        assertThat(list(chart.get("Deployment", "demo-wsgate-echo"), "spec.template.spec.containers.0.env"))
                .contains(Map.of("name", "SPRING_PROFILES_ACTIVE", "value", "echo"));
        assertThat(list(chart.gatewayContainer(), "env"))
                .noneMatch(e -> at(e, "name").equals("SPRING_PROFILES_ACTIVE"));
    }

    @Test
    void defaultsRenderEchoBackendAndDisruptionBudgetButNoOptionalExtras() {
        RenderedChart chart = RenderedChart.render();

        Map<String, Object> echo = chart.get("Deployment", "demo-wsgate-echo");
        assertThat(list(echo, "spec.template.spec.containers.0.env"))
                .contains(Map.of("name", "SPRING_PROFILES_ACTIVE", "value", "echo"));
        assertThat(at(chart.get("Service", "demo-wsgate-echo"), "spec.ports.0.port"))
                .isEqualTo(8088);
        assertThat(at(chart.get("PodDisruptionBudget", "demo-wsgate"), "spec.maxUnavailable"))
                .isEqualTo(1);
        assertThat(chart.get("Deployment", "demo-wsgate"))
                .extracting(d -> at(d, "spec.replicas"))
                .isEqualTo(2);
        assertThat(chart.kinds())
                .noneMatch(k -> k.startsWith("HorizontalPodAutoscaler/")
                        || k.startsWith("ServiceMonitor/")
                        || k.startsWith("Ingress/"));
    }

    @Test
    void echoOffRendersNoEchoBackend() {
        RenderedChart chart = RenderedChart.render(t -> t.set("echo.enabled", false));

        assertThat(chart.find("Deployment", "demo-wsgate-echo")).isEmpty();
        assertThat(chart.find("Service", "demo-wsgate-echo")).isEmpty();
        assertThat(chart.find("Deployment", "demo-wsgate")).isPresent();
    }

    @Test
    void autoscalingOnScalesOnCpuAndOptionallyOnSessionsPerPod() {
        RenderedChart cpuOnly = RenderedChart.render(t -> t.set("autoscaling.enabled", true));
        Map<String, Object> hpa = cpuOnly.get("HorizontalPodAutoscaler", "demo-wsgate");
        assertThat(at(hpa, "spec.scaleTargetRef.name")).isEqualTo("demo-wsgate");
        assertThat(list(hpa, "spec.metrics")).hasSize(1);
        assertThat(at(hpa, "spec.metrics.0.resource.target.averageUtilization")).isEqualTo(70);
        // The HPA owns the replica count.
        assertThat(at(cpuOnly.get("Deployment", "demo-wsgate"), "spec.replicas"))
                .isNull();

        Map<String, Object> sessions = RenderedChart.render(t -> t.set("autoscaling.enabled", true)
                        .set("autoscaling.sessionsPerPod.enabled", true)
                        .set("autoscaling.sessionsPerPod.averageValue", 500))
                .get("HorizontalPodAutoscaler", "demo-wsgate");
        assertThat(at(sessions, "spec.metrics.1.pods.metric.name")).isEqualTo("wsgate_sessions_active");
        assertThat(at(sessions, "spec.metrics.1.pods.target.averageValue")).isEqualTo("500");
    }

    @Test
    void serviceMonitorScrapesPrometheusEndpointOnManagementPort() {
        Map<String, Object> monitor = RenderedChart.render(
                        t -> t.set("serviceMonitor.enabled", true).set("serviceMonitor.labels.release", "kps"))
                .get("ServiceMonitor", "demo-wsgate");

        assertThat(at(monitor, "spec.endpoints.0"))
                .isEqualTo(Map.of("port", "management", "path", "/actuator/prometheus", "interval", "30s"));
        assertThat(at(monitor, "metadata.labels.release")).isEqualTo("kps");
        // The management Service's labels; the traffic Service has no management port.
        RenderedChart chart = RenderedChart.render(t -> t.set("serviceMonitor.enabled", true));
        Map<String, Object> selector =
                RenderedChart.asMap(at(chart.get("ServiceMonitor", "demo-wsgate"), "spec.selector.matchLabels"));
        assertThat(RenderedChart.asMap(at(chart.get("Service", "demo-wsgate-mgmt"), "metadata.labels")))
                .containsAllEntriesOf(selector);
        assertThat(RenderedChart.asMap(at(chart.get("Service", "demo-wsgate"), "metadata.labels")))
                .doesNotContainEntry("app.kubernetes.io/component", selector.get("app.kubernetes.io/component"));
    }

    @Test
    void ingressRoutesHostsToTheTrafficPort() {
        Map<String, Object> ingress = RenderedChart.render(
                        t -> t.set("ingress.enabled", true).set("ingress.className", "nginx"))
                .get("Ingress", "demo-wsgate");

        assertThat(at(ingress, "spec.ingressClassName")).isEqualTo("nginx");
        assertThat(at(ingress, "spec.rules.0.host")).isEqualTo("wsgate.example.com");
        assertThat(at(ingress, "spec.rules.0.http.paths.0.backend.service"))
                .isEqualTo(Map.of("name", "demo-wsgate", "port", Map.of("name", "http")));
    }

    @Test
    void customRoutesAndInstancesFromAValuesFileReachTheConfigMap() {
        RenderedChart chart = RenderedChart.render(
                t -> t.withValuesFile(Path.of("src/test/resources/deploy/custom-routes-values.yaml")));

        assertThat(chart.applicationYaml())
                .contains("id: chat-pool", "uri: lb:ws://chat-pool", "Path=/pool/**", "StripPrefix=1")
                .contains("uri: http://chat-0.chat:8088", "uri: http://chat-1.chat:8088")
                .contains("handshake-timeout: 5s")
                .doesNotContain("id: echo");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "drain.window, 20 seconds",
        "service.port, 70000",
        "routes[0].uri, ftp://example.com",
        "replicaCount, 0",
        "unknownTopLevelKey, x",
        "image.pullPolicy, Sometimes",
    })
    void schemaRejectsBadValues(String key, String value) {
        assertThatThrownBy(() -> RenderedChart.render(t -> t.set(key, value)))
                .hasMessageContaining("values don't meet the specifications of the schema");
    }
}
