package io.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsgate.WsgateApplication;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole application started with a configured route whose metadata wsgate cannot use: it does not start, and
 * Spring Boot's failure report names the route, the key and the value. A key nobody reads only gets a warning.
 */
@ExtendWith(OutputCaptureExtension.class)
class RouteSettingsStartupTests {

    @Test
    void aValueThatIsNotADurationStopsTheStart(CapturedOutput output) {
        assertThatThrownBy(() -> start("idle-timeout=whenever"))
                .hasStackTraceContaining(InvalidRouteSettingsException.class.getName());
        assertThat(output.getOut() + output.getErr())
                .contains("APPLICATION FAILED TO START")
                .contains("Invalid route metadata: route 'chat': metadata idle-timeout: 'whenever' is not a duration"
                        + " such as 500ms or 5m");
    }

    @Test
    void aMisspelledBooleanStopsTheStart(CapturedOutput output) {
        assertThatThrownBy(() -> start("compression=ture"))
                .hasStackTraceContaining(InvalidRouteSettingsException.class.getName());
        assertThat(output.getOut() + output.getErr())
                .contains("Invalid route metadata: route 'chat': metadata compression: 'ture' is not true or false");
    }

    @Test
    void anUnknownKeyIsReportedAndTheApplicationStarts(CapturedOutput output) {
        try (ConfigurableApplicationContext gateway = start("idle-timout=5m")) {
            assertThat(gateway.isRunning()).isTrue();
            assertThat(output.getOut())
                    .contains("Route chat: unknown metadata key 'idle-timout' (did you mean 'idle-timeout'?)");
        }
    }

    /** The application with one route, {@code chat}, whose metadata has {@code entry} ({@code key=value}). */
    private static ConfigurableApplicationContext start(String entry) {
        String route = "--spring.cloud.gateway.server.webflux.routes[0].";
        List<String> args = new ArrayList<>(List.of(
                route + "id=chat",
                route + "uri=ws://127.0.0.1:9",
                route + "predicates[0]=Path=/chat/**",
                route + "metadata." + entry,
                "--wsgate.reload.enabled=false",
                "--wsgate.health.enabled=false",
                "--server.port=0",
                "--management.server.port=0",
                "--spring.jmx.enabled=false"));
        return new SpringApplicationBuilder(WsgateApplication.class).run(args.toArray(String[]::new));
    }
}
