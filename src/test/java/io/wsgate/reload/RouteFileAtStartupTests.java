package io.wsgate.reload;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.WsgateApplication;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The deployed case: Spring Boot itself loads the external {@code application.yml} at startup and the watcher
 * reads the same file. The watcher must bind it to exactly the routes Boot bound (placeholders, escaped
 * {@code $\{...}} in filter arguments, metadata), so a start is not mistaken for a reload.
 */
@ExtendWith(OutputCaptureExtension.class)
class RouteFileAtStartupTests {

    @TempDir
    Path config;

    @Test
    void fileBootAlreadyLoadedIsNotReappliedAtStartup(CapturedOutput output) throws Exception {
        Path file = this.config.resolve("application.yml");
        Files.writeString(file, """
                spring:
                  cloud:
                    gateway:
                      server:
                        webflux:
                          routes:
                            - id: chat
                              uri: ws://localhost:${server.port}
                              predicates:
                                - Path=/chat/**
                              filters:
                                - RewritePath=/chat/?(?<path>.*), /echo/$\\{path}
                              metadata:
                                health-path: /echo/
                                frame-log: false
                """);

        try (ConfigurableApplicationContext gateway = new SpringApplicationBuilder(WsgateApplication.class)
                .run(
                        "--spring.config.additional-location=file:" + this.config.toAbsolutePath() + "/",
                        "--wsgate.reload.path=" + file,
                        "--server.port=0",
                        "--management.server.port=0",
                        "--spring.jmx.enabled=false")) {
            assertThat(gateway.getBean(GatewayProperties.class).getRoutes())
                    .extracting(route -> route.getId())
                    .containsExactly("chat");
            assertThat(output).contains("Watching route file " + file + " (1 routes)");
            assertThat(output).doesNotContain("Routes reloaded from");
        }
    }
}
