package io.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.WsgateApplication;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The chart's rendered ConfigMap {@code application.yml} fed to the real gateway, as the pod reads it
 * from {@code /app/config}: the routes it renders relay a real WebSocket session to a real echo backend (and the
 * gateway serves no echo itself), and the probe paths the Deployment uses answer on the management port.
 */
class HelmRoutesIntegrationTests {

    @TempDir
    Path config;

    @Test
    void defaultValuesRouteWsToTheEchoBackendService() throws Exception {
        try (EchoBackend echo = EchoBackend.start()) {
            // Cluster DNS stand-in: the echo Service's name resolves to the local echo backend.
            String yaml = RenderedChart.render()
                    .applicationYaml()
                    .replace("demo-wsgate-echo:8088", "127.0.0.1:" + echo.port());
            Files.writeString(this.config.resolve("application.yml"), yaml);
            int management = FreePorts.next();

            try (ConfigurableApplicationContext gateway = startGateway(management)) {
                int port =
                        ((WebServerApplicationContext) gateway).getWebServer().getPort();

                assertThat(JdkWebSocketClient.replyTo(URI.create("ws://127.0.0.1:" + port + "/ws/room1"), "hello"))
                        .isEqualTo("HELLO");
                // The gateway pod serves no echo of its own (it would bypass admission, frame checks, keepalive
                // and drain): /echo/ matches no route, and only the echo Deployment answers.
                assertThat(RawHttp.exchange(port, RawHttp.upgradeRequest("/echo/room1"))
                                .status())
                        .isEqualTo(404);
                assertThat(status(management, "/readyz")).isEqualTo(200);
                assertThat(status(management, "/livez")).isEqualTo(200);
            }
        }
    }

    @Test
    void helmTestHookPassesThroughTheRenderedRoutesAndFailsOnAWrongReply(@TempDir Path copy) throws Exception {
        try (EchoBackend echo = EchoBackend.start()) {
            String yaml = RenderedChart.render()
                    .applicationYaml()
                    .replace("demo-wsgate-echo:8088", "127.0.0.1:" + echo.port());
            Files.writeString(this.config.resolve("application.yml"), yaml);
            // The test Pod's command exactly as rendered (helm-java leaves hooks out of its output: see
            // HelmChartTests).
            Map<String, Object> pod = RenderedChart.render(
                            RenderedChart.copyReplacing(copy, "helm.sh/hook:", "rendered.helm.sh/hook:", 1), t -> t)
                    .get("Pod", "demo-wsgate-test");
            List<String> command = RenderedChart.list(pod, "spec.containers.0.command").stream()
                    .map(String.class::cast)
                    .toList();

            try (ConfigurableApplicationContext gateway = startGateway(FreePorts.next())) {
                int port =
                        ((WebServerApplicationContext) gateway).getWebServer().getPort();
                // Cluster DNS and the image's layout stand-ins: the Service is this gateway, the jar its classes.
                List<String> local = command.stream()
                        .map(arg -> arg.replace("demo-wsgate:8080", "127.0.0.1:" + port)
                                .replace(
                                        "/app/application.jar",
                                        Path.of("target/classes")
                                                .toAbsolutePath()
                                                .toString()))
                        .toList();

                String[] passed = run(local);
                assertThat(passed[0]).as(passed[1]).isEqualTo("0");
                assertThat(passed[1]).contains("\"hello from helm test\" -> \"HELLO FROM HELM TEST\"");

                List<String> wrong = new ArrayList<>(local);
                wrong.set(wrong.size() - 1, "something else");
                String[] failed = run(wrong);
                assertThat(failed[0]).isEqualTo("1");
                assertThat(failed[1]).contains("FAIL", "expected \"something else\", got \"HELLO FROM HELM TEST\"");

                List<String> noRoute = new ArrayList<>(local);
                noRoute.replaceAll(arg -> arg.replace("/ws/helm-test", "/nowhere/helm-test"));
                String[] refused = run(noRoute);
                assertThat(refused[0]).isEqualTo("1");
                assertThat(refused[1]).contains("FAIL ws://127.0.0.1:" + port + "/nowhere/helm-test");
            }
        }
    }

    /** Runs {@code command} with this JVM's {@code java}; returns its exit code and output. */
    private String[] run(List<String> command) throws Exception {
        List<String> withJava = new ArrayList<>(command);
        withJava.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path output = this.config.resolve("probe.log");
        Process process = new ProcessBuilder(withJava)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("probe did not finish: " + Files.readString(output));
        }
        return new String[] {Integer.toString(process.exitValue()), Files.readString(output)};
    }

    @Test
    void customLoadBalancedRoutesRelayOverStaticInstances() throws Exception {
        try (EchoBackend first = EchoBackend.start();
                EchoBackend second = EchoBackend.start()) {
            String yaml = RenderedChart.render(
                            t -> t.withValuesFile(Path.of("src/test/resources/deploy/custom-routes-values.yaml"))
                                    .set("discoveryInstances.chat-pool[0].uri", "http://127.0.0.1:" + first.port())
                                    .set("discoveryInstances.chat-pool[1].uri", "http://127.0.0.1:" + second.port()))
                    .applicationYaml();
            Files.writeString(this.config.resolve("application.yml"), yaml);

            try (ConfigurableApplicationContext gateway = startGateway(FreePorts.next())) {
                int port =
                        ((WebServerApplicationContext) gateway).getWebServer().getPort();
                URI pool = URI.create("ws://127.0.0.1:" + port + "/pool/lobby");

                for (int i = 0; i < 4; i++) {
                    assertThat(JdkWebSocketClient.replyTo(pool, "hi " + i)).isEqualTo("HI " + i);
                }
            }
        }
    }

    private ConfigurableApplicationContext startGateway(int managementPort) {
        return new SpringApplicationBuilder(WsgateApplication.class)
                .run(
                        "--spring.config.additional-location=file:" + this.config.toAbsolutePath() + "/",
                        "--server.port=0",
                        "--spring.jmx.enabled=false",
                        // The management contract (port, probes); the lead adds these to the defaults.
                        "--management.server.port=" + managementPort,
                        "--management.endpoints.web.exposure.include=health,info,prometheus",
                        "--management.endpoint.health.probes.enabled=true",
                        "--management.endpoint.health.group.liveness.additional-path=management:/livez",
                        "--management.endpoint.health.group.readiness.additional-path=management:/readyz");
    }

    private static int status(int port, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build();
        return HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
