package io.wsgate.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.Haproxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The rolling deploy ({@link RollingDeploy}) at the small size of {@code ./mvnw verify}: 60 clients, 3 replicas
 * behind HAProxy replaced one by one with SIGTERM, sessions aged out so that they rebalance. It asserts the oracle,
 * never a speed: no message accepted by the gateway vanished without a close frame, every session the gateway ended
 * got one, and every client is back with an echo after the roll. The full-size runs, as in docs/deploy.md:
 * {@code ./mvnw test -Dtest=RollingDeployTests -Drolling.clients=1000 -Drolling.drain-window=20s
 * -Drolling.max-session-age=2m -Drolling.max-session-age-jitter=1m -Drolling.message-interval=1s
 * -Drolling.ramp-up=30s -Drolling.even-within=5m} (and {@code -Drolling.max-session-age=0} for the run without).
 */
class RollingDeployTests {

    private static final RollingDeploy.Settings SMALL = new RollingDeploy.Settings(
            60,
            3,
            Duration.ofMillis(200),
            Duration.ofSeconds(3),
            Duration.ofSeconds(10),
            Duration.ofSeconds(5),
            Duration.ofSeconds(3),
            Duration.ofSeconds(30),
            "128m");

    @Test
    void replacingEveryReplicaUnderLoadLosesNoMessageSilentlyAndEveryClientComesBack() {
        Haproxy.assumeInstalled();
        RollingDeploy.Settings settings = RollingDeploy.Settings.fromSystemProperties(SMALL);
        RollingDeploy.Report report = new RollingDeploy(settings).run();
        RollingDeploy.keep(settings.maxSessionAge().isZero() ? "without-age" : "with-age", report);

        assertThat(report.lostSilently())
                .as("messages lost without a close frame")
                .isZero();
        assertThat(report.endedWithoutClose())
                .as("sessions ended without a close frame")
                .isZero();
        assertThat(report.unexpectedEchoes())
                .as("echoes of messages not sent on the session")
                .isZero();
        assertThat(report.unansweredAtEnd())
                .as("messages still unanswered on open sessions at the end")
                .isZero();
        assertThat(report.clientsBackAfterRoll())
                .as("clients back after the roll")
                .isEqualTo(settings.clients());
        // Every replica drained its sessions with 1001 (and ages closed some): the clients moved.
        assertThat(report.moved()).isGreaterThan(0);
        assertThat(report.gatewayCloses().keySet())
                .allSatisfy(close -> assertThat(close).startsWith("1001 "));
        assertThat(report.echoed()).isPositive();
    }
}
