package io.wsgate;

import io.wsgate.drain.ExitOnTerm;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** wsgate: a WebSocket gateway on Spring Cloud Gateway, with a bundled echo backend. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class WsgateApplication {

    public static void main(String[] args) {
        ExitOnTerm.install(SpringApplication.run(WsgateApplication.class, args));
    }
}
