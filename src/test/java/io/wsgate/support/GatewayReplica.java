package io.wsgate.support;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.WsgateApplication;
import io.wsgate.session.SessionRegistry;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One of several whole gateways in the test's JVM (replicas of one deployment), on random ports, with Reactor Netty
 * resources of its own so that closing one leaves the others serving. Routes and settings come as command-line
 * arguments; {@link #route} writes a route's.
 */
public final class GatewayReplica implements AutoCloseable {

    private static final String ROUTES = "--spring.cloud.gateway.server.webflux.routes";

    private final ConfigurableApplicationContext context;

    private GatewayReplica(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /**
     * Starts a replica with {@code args}. Only the first replica in the JVM sets up logging: a second one would reset
     * the levels and the appenders the first one (and output capture) use.
     */
    public static GatewayReplica start(boolean first, List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.add("--server.port=0");
        all.add("--management.server.port=0");
        all.add("--spring.jmx.enabled=false");
        String previous = first ? null : System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
        try {
            return new GatewayReplica(new SpringApplicationBuilder(WsgateApplication.class)
                    .initializers(EchoBackend::ownNettyResources)
                    .run(all.toArray(String[]::new)));
        } finally {
            if (!first) {
                if (previous == null) {
                    System.clearProperty(LoggingSystem.SYSTEM_PROPERTY);
                } else {
                    System.setProperty(LoggingSystem.SYSTEM_PROPERTY, previous);
                }
            }
        }
    }

    /** Arguments for route number {@code index}: {@code path} (prefix stripped) to {@code uri}, with metadata. */
    public static List<String> route(int index, String id, String uri, String path, String... metadata) {
        String prefix = ROUTES + "[" + index + "].";
        List<String> args = new ArrayList<>(List.of(
                prefix + "id=" + id,
                prefix + "uri=" + uri,
                prefix + "predicates[0]=Path=" + path,
                prefix + "filters[0]=StripPrefix=1"));
        for (int i = 0; i + 1 < metadata.length; i += 2) {
            args.add(prefix + "metadata." + metadata[i] + "=" + metadata[i + 1]);
        }
        return args;
    }

    public int port() {
        return ((WebServerApplicationContext) this.context).getWebServer().getPort();
    }

    public int managementPort() {
        return Integer.parseInt(this.context.getEnvironment().getRequiredProperty("local.management.port"));
    }

    public MeterRegistry meters() {
        return this.context.getBean(MeterRegistry.class);
    }

    /** Sessions open on this replica now. */
    public long activeSessions() {
        return this.context.getBean(SessionRegistry.class).active();
    }

    public ConfigurableApplicationContext context() {
        return this.context;
    }

    @Override
    public void close() {
        this.context.close();
    }
}
