package io.wsgate.deploy;

import static io.wsgate.deploy.RenderedChart.at;
import static io.wsgate.deploy.RenderedChart.list;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

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

    @Test
    void sharedLimitsOnRedisAreOffByDefaultAndPointAtAnExistingRedis() {
        assertThat(list(RenderedChart.render().gatewayContainer(), "env"))
                .noneMatch(env ->
                        String.valueOf(((Map<?, ?>) env).get("name")).matches("WSGATE_CLUSTER.*|SPRING_DATA_REDIS.*"));

        Map<String, Object> container = RenderedChart.render(t -> t.set("clusterStore.redis.enabled", true)
                        .set("clusterStore.redis.host", "redis.cache")
                        .set("clusterStore.redis.passwordSecret.name", "redis-auth"))
                .gatewayContainer();

        assertThat(list(container, "env"))
                .contains(
                        Map.of("name", "WSGATE_CLUSTER_STORE", "value", "redis"),
                        Map.of("name", "SPRING_DATA_REDIS_HOST", "value", "redis.cache"),
                        Map.of("name", "SPRING_DATA_REDIS_PORT", "value", "6379"),
                        Map.of("name", "SPRING_DATA_REDIS_SSL_ENABLED", "value", "false"),
                        Map.of(
                                "name",
                                "SPRING_DATA_REDIS_PASSWORD",
                                "valueFrom",
                                Map.of("secretKeyRef", Map.of("name", "redis-auth", "key", "redis-password"))));
        assertThatThrownBy(() -> RenderedChart.render(t -> t.set("clusterStore.redis.enabled", true)))
                .hasMessageContaining("clusterStore.redis.host is required");
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

    @Test
    void imageIsPulledByDigestWhenOneIsSet(@TempDir Path copy) throws IOException {
        String digest = "sha256:" + "ab".repeat(32);
        RenderedChart byTag = RenderedChart.render();
        RenderedChart byDigest = RenderedChart.render(
                withHooksAsManifests(copy),
                t -> t.set("image.repository", "registry.example.com/wsgate")
                        .set("image.tag", "1.2.3")
                        .set("image.digest", digest));

        assertThat(at(byTag.gatewayContainer(), "image")).isEqualTo("wsgate:0.1.0-SNAPSHOT");
        for (String path : List.of(
                "Deployment/demo-wsgate/spec.template.spec.containers.0.image",
                "Deployment/demo-wsgate-echo/spec.template.spec.containers.0.image",
                "Pod/demo-wsgate-test/spec.containers.0.image")) {
            String[] parts = path.split("/", 3);
            assertThat(at(byDigest.get(parts[0], parts[1]), parts[2]))
                    .as(path)
                    .isEqualTo("registry.example.com/wsgate@" + digest);
        }
    }

    @Test
    void extraEnvVolumesPullSecretsAnnotationsAndPriorityReachTheGatewayPod() {
        RenderedChart chart = RenderedChart.render(t -> t.set("imagePullSecrets[0].name", "registry-login")
                .set("extraEnv[0].name", "LOGGING_LEVEL_WSGATE_SESSION")
                .set("extraEnv[0].value", "DEBUG")
                .set("extraEnv[1].name", "TOKEN")
                .set("extraEnv[1].valueFrom.secretKeyRef.name", "wsgate-secrets")
                .set("extraEnv[1].valueFrom.secretKeyRef.key", "token")
                .set("extraVolumes[0].name", "keystore")
                .set("extraVolumes[0].secret.secretName", "wsgate-tls")
                .set("extraVolumeMounts[0].name", "keystore")
                .set("extraVolumeMounts[0].mountPath", "/app/tls")
                .set("extraVolumeMounts[0].readOnly", true)
                .set("podAnnotations.example\\.com/team", "edge")
                .set("priorityClassName", "gateway-critical"));
        Map<String, Object> pod = RenderedChart.asMap(at(chart.get("Deployment", "demo-wsgate"), "spec.template"));
        Map<String, Object> container = chart.gatewayContainer();

        assertThat(at(pod, "spec.imagePullSecrets")).isEqualTo(List.of(Map.of("name", "registry-login")));
        assertThat(at(chart.get("Deployment", "demo-wsgate-echo"), "spec.template.spec.imagePullSecrets"))
                .isEqualTo(List.of(Map.of("name", "registry-login")));
        assertThat(list(container, "env"))
                .contains(
                        Map.of("name", "LOGGING_LEVEL_WSGATE_SESSION", "value", "DEBUG"),
                        Map.of(
                                "name",
                                "TOKEN",
                                "valueFrom",
                                Map.of("secretKeyRef", Map.of("name", "wsgate-secrets", "key", "token"))));
        // The chart's own mounts and volumes stay.
        assertThat(list(container, "volumeMounts"))
                .extracting(m -> at(m, "mountPath"))
                .containsExactly("/app/config", "/tmp", "/app/tls");
        assertThat(list(pod, "spec.volumes"))
                .contains(Map.of("name", "keystore", "secret", Map.of("secretName", "wsgate-tls")));
        assertThat(at(pod, "metadata.annotations.example\\.com/team")).isEqualTo("edge");
        assertThat(at(pod, "metadata.annotations.checksum/config")).isNotNull();
        assertThat(at(pod, "spec.priorityClassName")).isEqualTo("gateway-critical");

        Map<String, Object> defaults =
                RenderedChart.asMap(at(RenderedChart.render().get("Deployment", "demo-wsgate"), "spec.template.spec"));
        assertThat(defaults).doesNotContainKeys("priorityClassName", "imagePullSecrets");
    }

    @Test
    void gatewayPodsSpreadAcrossNodesByDefaultAndTheSpreadCanBeReplaced() {
        Map<String, Object> deployment = RenderedChart.render().get("Deployment", "demo-wsgate");

        assertThat(at(deployment, "spec.template.spec.topologySpreadConstraints"))
                .isEqualTo(List.of(Map.of(
                        "maxSkew",
                        1,
                        "topologyKey",
                        "kubernetes.io/hostname",
                        "whenUnsatisfiable",
                        "ScheduleAnyway",
                        "labelSelector",
                        Map.of("matchLabels", at(deployment, "spec.selector.matchLabels")))));

        Map<String, Object> zones = RenderedChart.render(t -> t.set("topologySpreadConstraints[0].maxSkew", 2)
                        .set("topologySpreadConstraints[0].topologyKey", "topology.kubernetes.io/zone")
                        .set("topologySpreadConstraints[0].whenUnsatisfiable", "DoNotSchedule")
                        .set("topologySpreadConstraints[0].labelSelector.matchLabels.app", "custom"))
                .get("Deployment", "demo-wsgate");
        assertThat(at(zones, "spec.template.spec.topologySpreadConstraints"))
                .isEqualTo(List.of(Map.of(
                        "maxSkew",
                        2,
                        "topologyKey",
                        "topology.kubernetes.io/zone",
                        "whenUnsatisfiable",
                        "DoNotSchedule",
                        "labelSelector",
                        Map.of("matchLabels", Map.of("app", "custom")))));

        Map<String, Object> none = RenderedChart.render(t -> t.set("topologySpreadConstraints", "null"))
                .get("Deployment", "demo-wsgate");
        assertThat(RenderedChart.asMap(at(none, "spec.template.spec"))).doesNotContainKey("topologySpreadConstraints");
    }

    @Test
    void autoscalerScalesDownOnePodAtATimeAfterALongStabilizationWindow() {
        Map<String, Object> hpa = RenderedChart.render(t -> t.set("autoscaling.enabled", true))
                .get("HorizontalPodAutoscaler", "demo-wsgate");

        // Each removed pod is a reconnect wave for the sessions it held.
        assertThat(at(hpa, "spec.behavior"))
                .isEqualTo(Map.of(
                        "scaleDown",
                        Map.of(
                                "stabilizationWindowSeconds",
                                600,
                                "policies",
                                List.of(Map.of("type", "Pods", "value", 1, "periodSeconds", 300)))));

        Map<String, Object> tuned = RenderedChart.render(t -> t.set("autoscaling.enabled", true)
                        .set("autoscaling.behavior.scaleDown.stabilizationWindowSeconds", 1800)
                        .set("autoscaling.behavior.scaleUp.stabilizationWindowSeconds", 60))
                .get("HorizontalPodAutoscaler", "demo-wsgate");
        assertThat(at(tuned, "spec.behavior.scaleDown.stabilizationWindowSeconds"))
                .isEqualTo(1800);
        assertThat(at(tuned, "spec.behavior.scaleDown.policies.0.value")).isEqualTo(1);
        assertThat(at(tuned, "spec.behavior.scaleUp.stabilizationWindowSeconds"))
                .isEqualTo(60);
    }

    @Test
    void helmTestHookRunsTheImagesOwnProbeThroughTheTrafficService(@TempDir Path copy) throws IOException {
        Path hooks = withHooksAsManifests(copy);
        RenderedChart chart = RenderedChart.render(hooks, t -> t);
        Map<String, Object> pod = chart.get("Pod", "demo-wsgate-test");
        Map<String, Object> container =
                RenderedChart.asMap(list(pod, "spec.containers").get(0));

        assertThat(at(pod, "metadata.annotations.rendered\\.helm\\.sh/hook")).isEqualTo("test");
        assertThat(at(pod, "spec.restartPolicy")).isEqualTo("Never");
        assertThat(at(container, "image")).isEqualTo(at(chart.gatewayContainer(), "image"));
        assertThat(at(container, "command"))
                .isEqualTo(List.of(
                        "java",
                        "-cp",
                        "/app/application.jar",
                        "io.wsgate.echo.EchoProbe",
                        "ws://demo-wsgate:8080/ws/helm-test",
                        "hello from helm test",
                        "HELLO FROM HELM TEST"));
        // Not a gateway pod: the Services and the PDB must not select it.
        assertThat(at(pod, "metadata.labels.app\\.kubernetes\\.io/component")).isEqualTo("test");
        assertThat(at(chart.get("Service", "demo-wsgate"), "spec.selector.app\\.kubernetes\\.io/component"))
                .isEqualTo("gateway");
        assertThat(at(container, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(at(pod, "spec.securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat(at(pod, "spec.automountServiceAccountToken")).isEqualTo(false);

        Map<String, Object> custom = RenderedChart.render(
                        hooks,
                        t -> t.set("service.port", 80)
                                .set("tests.path", "/chat/probe")
                                .set("tests.message", "ping")
                                .set("tests.expectedReply", ""))
                .get("Pod", "demo-wsgate-test");
        assertThat(list(custom, "spec.containers.0.command")).endsWith("ws://demo-wsgate:80/chat/probe", "ping");

        assertThat(RenderedChart.render(hooks, t -> t.set("tests.enabled", false))
                        .find("Pod", "demo-wsgate-test"))
                .isEmpty();
    }

    /**
     * A copy of the chart whose hooks render as plain manifests: helm-java's template (like its dry-run install)
     * leaves hooks out, so the hook annotation is renamed to {@code rendered.helm.sh/hook} in the copy.
     */
    private static Path withHooksAsManifests(Path copy) throws IOException {
        return RenderedChart.copyReplacing(copy, "helm.sh/hook:", "rendered.helm.sh/hook:", 1);
    }

    @Test
    void notesSayHowToConnectTestAndWatch() {
        String notes = notes(t -> t);

        assertThat(notes)
                .contains("kubectl -n wsgate port-forward svc/demo-wsgate 8080:8080")
                .contains("kubectl -n wsgate port-forward svc/demo-wsgate-mgmt 8081:8081")
                .contains("npx wscat -c ws://localhost:8080/ws/")
                .contains("helm test demo -n wsgate --logs")
                .contains("logs -f deploy/demo-wsgate")
                .contains("curl -s localhost:8081/actuator/health/routes")
                .doesNotContain("PrometheusRule", "dashboard");

        // No Prometheus Operator here: the rule is not created, and the notes say so.
        assertThat(notes(t -> t.set("prometheusRule.enabled", true).set("grafanaDashboard.enabled", true)))
                .contains(
                        "WARNING: prometheusRule.enabled is on but the cluster does not serve monitoring.coreos.com/v1")
                .contains("ConfigMap demo-wsgate-dashboard holds the Grafana dashboard")
                .contains("grafana_dashboard=1");
    }

    /** NOTES.txt as {@code helm install --dry-run} prints it ({@code helm template} does not render it). */
    private static String notes(java.util.function.UnaryOperator<com.marcnuri.helm.InstallCommand> values) {
        String output = values.apply(new Helm(RenderedChart.CHART)
                        .install()
                        .withName(RenderedChart.RELEASE)
                        .withNamespace("wsgate")
                        .clientOnly()
                        .dryRun())
                .call()
                .getOutput();
        assertThat(output).contains("NOTES:");
        return output.substring(output.indexOf("NOTES:"));
    }

    @Test
    void prometheusRuleIsRenderedOnlyWhenSwitchedOnAndTheOperatorsApiIsServed() {
        // helm template's offline capabilities have no monitoring.coreos.com/v1 (helm-java 0.0.15 has no
        // --api-versions): the switch alone renders nothing.
        assertThat(RenderedChart.render(t -> t.set("prometheusRule.enabled", true))
                        .kinds())
                .noneMatch(k -> k.startsWith("PrometheusRule/"));
        assertThat(RenderedChart.render().kinds()).noneMatch(k -> k.startsWith("PrometheusRule/"));
    }

    @Test
    void prometheusRuleCarriesTheAlertsOfDeployPrometheusWhereTheApiIsServed(@TempDir Path copy) throws IOException {
        Path chart = withOperatorApi(copy);

        assertThat(RenderedChart.render(chart, t -> t).kinds()).noneMatch(k -> k.startsWith("PrometheusRule/"));
        Map<String, Object> rule = RenderedChart.render(
                        chart, t -> t.set("prometheusRule.enabled", true).set("prometheusRule.labels.release", "kps"))
                .get("PrometheusRule", "demo-wsgate");

        assertThat(at(rule, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        assertThat(at(rule, "metadata.labels.release")).isEqualTo("kps");
        Map<String, Object> alerts =
                new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(AlertRulesTests.RULES));
        assertThat(at(rule, "spec.groups")).isEqualTo(alerts.get("groups"));

        Map<String, Object> linked = RenderedChart.render(
                        chart,
                        t -> t.set("prometheusRule.enabled", true)
                                .set("prometheusRule.runbookUrl", "https://docs.example.com/wsgate/runbook"))
                .get("PrometheusRule", "demo-wsgate");
        assertThat(list(linked, "spec.groups.0.rules"))
                .extracting(r -> at(r, "annotations.runbook_url"))
                .contains("https://docs.example.com/wsgate/runbook#wsgatedown")
                .allMatch(url -> ((String) url).startsWith("https://docs.example.com/wsgate/runbook#wsgate"));
    }

    /**
     * A copy of the chart whose templates see monitoring.coreos.com/v1 as served: the capability check replaced by
     * {@code true}, the stand-in for {@code helm template --api-versions monitoring.coreos.com/v1}.
     */
    private static Path withOperatorApi(Path copy) throws IOException {
        return RenderedChart.copyReplacing(
                copy, ".Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\"", "true", 2);
    }

    @Test
    void grafanaDashboardConfigMapIsForTheSidecarAndOnlyWhenSwitchedOn() throws IOException {
        assertThat(RenderedChart.render().find("ConfigMap", "demo-wsgate-dashboard"))
                .isEmpty();

        Map<String, Object> dashboard = RenderedChart.render(t -> t.set("grafanaDashboard.enabled", true)
                        .set("grafanaDashboard.annotations.grafana_folder", "wsgate"))
                .get("ConfigMap", "demo-wsgate-dashboard");

        assertThat(at(dashboard, "metadata.labels.grafana_dashboard")).isEqualTo("1");
        assertThat(at(dashboard, "metadata.annotations.grafana_folder")).isEqualTo("wsgate");
        JsonMapper json = JsonMapper.builder().build();
        assertThat(json.readTree((String) at(dashboard, "data.wsgate\\.json")))
                .isEqualTo(json.readTree(Files.readString(Path.of("deploy/grafana/dashboards/wsgate.json"))));
    }

    @Test
    void serviceMonitorNamesTheJobAsTheAlertsSelectIt() {
        Map<String, Object> monitor =
                RenderedChart.render(t -> t.set("serviceMonitor.enabled", true)).get("ServiceMonitor", "demo-wsgate");

        // job = the management Service's app.kubernetes.io/name label, "wsgate": alerts.yml selects job="wsgate".
        assertThat(at(monitor, "spec.jobLabel")).isEqualTo("app.kubernetes.io/name");
        assertThat(at(
                        RenderedChart.render().get("Service", "demo-wsgate-mgmt"),
                        "metadata.labels.app\\.kubernetes\\.io/name"))
                .isEqualTo("wsgate");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "drain.window, 20 seconds",
        "service.port, 70000",
        "routes[0].uri, ftp://example.com",
        "replicaCount, 0",
        "unknownTopLevelKey, x",
        "image.pullPolicy, Sometimes",
        "image.digest, latest",
        // Renamed to extraEnv, as in other gateway charts: the old key is rejected, not ignored.
        "env[0].name, JAVA_OPTS",
        "topologySpreadConstraints[0].maxSkew, 1",
        "tests.path, ws/no-slash",
    })
    void schemaRejectsBadValues(String key, String value) {
        assertThatThrownBy(() -> RenderedChart.render(t -> t.set(key, value)))
                .hasMessageContaining("values don't meet the specifications of the schema");
    }
}
