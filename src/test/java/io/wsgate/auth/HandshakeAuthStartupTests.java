package io.wsgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wsgate.WsgateApplication;
import io.wsgate.config.InvalidRouteSettingsException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/** {@code auth: jwt} needs an issuer: without one the application does not start, and says so in one line. */
@ExtendWith(OutputCaptureExtension.class)
class HandshakeAuthStartupTests {

    @Test
    void aJwtRouteWithoutAnIssuerStopsTheStart(CapturedOutput output) {
        assertThatThrownBy(() -> start("metadata.auth=jwt"))
                .hasStackTraceContaining(InvalidRouteSettingsException.class.getName());
        assertThat(output.getOut() + output.getErr())
                .contains("Invalid route metadata: route 'chat': metadata auth: 'jwt' is not possible without a token"
                        + " issuer: set spring.security.oauth2.resourceserver.jwt.issuer-uri or jwk-set-uri");
    }

    @Test
    void aJwtDefaultWithoutAnIssuerStopsTheStart(CapturedOutput output) {
        assertThatThrownBy(() -> start("metadata.frame-log=false", "--wsgate.auth.default=jwt"))
                .hasStackTraceContaining("wsgate.auth.default");
        assertThat(output.getOut() + output.getErr())
                .contains("Invalid value 'jwt' for configuration property 'wsgate.auth.default'")
                .contains("no token issuer is configured");
    }

    @Test
    void anUnknownTokenSourceStopsTheStart(CapturedOutput output) {
        assertThatThrownBy(() -> start("metadata.auth-token-from=header,body"))
                .hasStackTraceContaining(InvalidRouteSettingsException.class.getName());
        assertThat(output.getOut() + output.getErr())
                .contains("metadata auth-token-from: 'header,body' is not a list of header, query, cookie,"
                        + " subprotocol");
    }

    private static ConfigurableApplicationContext start(String entry, String... more) {
        String route = "--spring.cloud.gateway.server.webflux.routes[0].";
        List<String> args = new ArrayList<>(List.of(
                route + "id=chat",
                route + "uri=ws://127.0.0.1:9",
                route + "predicates[0]=Path=/chat/**",
                route + entry,
                "--wsgate.reload.enabled=false",
                "--wsgate.health.enabled=false",
                "--server.port=0",
                "--management.server.port=0",
                "--spring.jmx.enabled=false"));
        args.addAll(List.of(more));
        return new SpringApplicationBuilder(WsgateApplication.class).run(args.toArray(String[]::new));
    }
}
