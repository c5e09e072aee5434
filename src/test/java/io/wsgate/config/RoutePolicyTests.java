package io.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.wsgate.vocabulary.Direction;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class RoutePolicyTests {

    private final WsgateProperties properties = new WsgateProperties();

    private final WsgateProperties.Session defaults = this.properties.getSession();

    @Test
    void takesTheDefaultsWhereTheRouteSetsNothing() {
        this.defaults.setIdleTimeout(Duration.ofMinutes(5));
        this.defaults.setMaxMessageSize(DataSize.ofKilobytes(64));
        RoutePolicy policy = policy(Map.of());
        assertThat(policy.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(policy.pingInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.pongTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.maxMessageSize(Direction.CLIENT_TO_BACKEND)).isEqualTo(65536);
        assertThat(policy.maxMessageSize(Direction.BACKEND_TO_CLIENT)).isEqualTo(65536);
        assertThat(policy.sessionAgeLimit()).isZero();
    }

    @Test
    void readsBootStyleValuesFromMetadataWithPerDirectionSizes() {
        RoutePolicy policy = policy(Map.of(
                "idle-timeout", "2m",
                "ping-interval", "500ms",
                "pong-timeout", 250,
                "max-message-size", "1KB",
                "max-message-size-backend-to-client", "4KB",
                "max-session-age", "1h"));
        assertThat(policy.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(policy.pingInterval()).isEqualTo(Duration.ofMillis(500));
        // A bare number is milliseconds, as everywhere in Spring Boot.
        assertThat(policy.pongTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(policy.maxMessageSize(Direction.CLIENT_TO_BACKEND)).isEqualTo(1024);
        assertThat(policy.maxMessageSize(Direction.BACKEND_TO_CLIENT)).isEqualTo(4096);
        assertThat(policy.sessionAgeLimit()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void noSizeAnywhereMeansNoLimitOfItsOwn() {
        RoutePolicy policy = policy(Map.of("max-message-size-client-to-backend", "10B"));
        assertThat(policy.maxMessageSize(Direction.CLIENT_TO_BACKEND)).isEqualTo(10);
        assertThat(policy.maxMessageSize(Direction.BACKEND_TO_CLIENT)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void eachSessionAgeLimitFallsWithinAgePlusJitter() {
        RoutePolicy policy = policy(Map.of("max-session-age", "10s", "max-session-age-jitter", "1s"));
        for (int i = 0; i < 1000; i++) {
            assertThat(policy.sessionAgeLimit()).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(11));
        }
    }

    @Test
    void aValueThatDoesNotParseNamesTheKey() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> policy(Map.of("idle-timeout", "soon")))
                .withMessageContaining("idle-timeout")
                .withMessageContaining("'soon'");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> policy(Map.of("max-message-size", "big")))
                .withMessageContaining("max-message-size");
    }

    private RoutePolicy policy(Map<String, Object> metadata) {
        return new RouteSettingsParser(this.properties).parse("test", metadata).session();
    }
}
