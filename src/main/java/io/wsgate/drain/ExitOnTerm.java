package io.wsgate.drain;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import sun.misc.Signal;

/**
 * SIGTERM (docker stop, Kubernetes) closes the application, draining its sessions, and exits with status 0. Left to
 * the JVM, a SIGTERM runs the same shutdown but exits with 143, which container runtimes, compose's
 * {@code restart: on-failure} and supervisors read as a failure of a gateway that stopped as asked.
 */
public final class ExitOnTerm {

    private static final Logger logger = LoggerFactory.getLogger(ExitOnTerm.class);

    private ExitOnTerm() {}

    public static void install(ConfigurableApplicationContext context) {
        try {
            Signal.handle(new Signal("TERM"), signal -> {
                // Not on the signal's thread: closing the context waits for the drain window.
                Thread exit = new Thread(() -> System.exit(SpringApplication.exit(context)), "wsgate-sigterm");
                exit.start();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException ex) {
            // No SIGTERM here (Windows) or it is the JVM's own: the JVM's shutdown hook still drains.
            logger.debug("SIGTERM handler not installed: {}", ex.toString());
        }
    }
}
