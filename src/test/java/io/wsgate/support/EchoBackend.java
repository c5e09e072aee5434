package io.wsgate.support;

import io.wsgate.WsgateApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** The wsgate jar's own echo-only mode (profile {@code echo}) as a separate backend on a random port. */
public final class EchoBackend implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private EchoBackend(ConfigurableApplicationContext context) {
        this.context = context;
    }

    public static EchoBackend start(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--server.port=0";
        all[1] = "--spring.jmx.enabled=false";
        System.arraycopy(args, 0, all, 2, args.length);
        return new EchoBackend(new SpringApplicationBuilder(WsgateApplication.class)
                .profiles("echo")
                .run(all));
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
