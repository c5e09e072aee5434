package io.wsgate.support;

import io.wsgate.WsgateApplication;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

/** The wsgate jar's own echo-only mode (profile {@code echo}) as a separate backend on a random port. */
public final class EchoBackend implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private EchoBackend(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** Starts on a random port unless {@code args} name one ({@code --server.port=N}). */
    public static EchoBackend start(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (all.stream().noneMatch(arg -> arg.startsWith("--server.port="))) {
            all.add("--server.port=0");
        }
        all.add("--management.server.port=0");
        all.add("--spring.jmx.enabled=false");
        // Logging is JVM-wide: the backend must not reset the levels the gateway under test configured.
        String previous = System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
        try {
            return new EchoBackend(new SpringApplicationBuilder(WsgateApplication.class)
                    .profiles("echo")
                    .initializers(EchoBackend::ownNettyResources)
                    .run(all.toArray(String[]::new)));
        } finally {
            if (previous == null) {
                System.clearProperty(LoggingSystem.SYSTEM_PROPERTY);
            } else {
                System.setProperty(LoggingSystem.SYSTEM_PROPERTY, previous);
            }
        }
    }

    /**
     * Closing an app on Reactor Netty's global resources disposes them for every server in the JVM, the gateway
     * under test included; the backend gets resources of its own (as the test framework does for the gateway).
     */
    static void ownNettyResources(ConfigurableApplicationContext context) {
        context.getBeanFactory().addBeanPostProcessor(new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if (bean instanceof ReactorResourceFactory factory) {
                    factory.setUseGlobalResources(false);
                }
                return bean;
            }
        });
    }

    public int port() {
        return ((WebServerApplicationContext) this.context).getWebServer().getPort();
    }

    public ConfigurableApplicationContext context() {
        return this.context;
    }

    @Override
    public void close() {
        this.context.close();
    }
}
