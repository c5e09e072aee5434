package io.wsgate.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.config.WsgateProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;

/** wsgate.cluster.*: its defaults, the values that stop startup, and which auto-configurations each store lets in. */
class ClusterPropertiesTests {

    private static final String[] CANDIDATES = {
        "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.health.DataRedisReactiveHealthContributorAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration",
        "org.springframework.cloud.gateway.config.GatewayRedisAutoConfiguration",
        "org.springframework.cloud.gateway.config.GatewayAutoConfiguration",
        null
    };

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Properties.class);

    @Test
    void theStoreIsNoneByDefault() {
        this.runner.run(context -> {
            WsgateProperties.Cluster cluster =
                    context.getBean(WsgateProperties.class).getCluster();
            assertThat(cluster.getStore()).isEqualTo(WsgateProperties.Cluster.Store.NONE);
            assertThat(cluster.getHeartbeatTtl()).hasSeconds(15);
            assertThat(cluster.getTimeout()).hasMillis(250);
            assertThat(cluster.getKeyPrefix()).isEqualTo("wsgate");
        });
    }

    @Test
    void aTooShortHeartbeatOrNoTimeoutStopsStartup() {
        this.runner
                .withPropertyValues("wsgate.cluster.heartbeat-ttl=100ms")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("wsgate.cluster.heartbeat-ttl is PT0.1S: it must be at least 300ms"));
        this.runner
                .withPropertyValues("wsgate.cluster.timeout=0")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("wsgate.cluster.timeout is PT0S: it must be more than 0"));
    }

    @Test
    void withoutTheRedisStoreNoRedisAutoConfigurationApplies() {
        assertThat(matches("none")).containsExactly(false, false, false, false, false, false, true, true);
        assertThat(matches(null)).containsExactly(false, false, false, false, false, false, true, true);
    }

    @Test
    void withTheRedisStoreBootsConnectionAppliesButNotItsHealthNorRepositories() {
        assertThat(matches("REDIS")).containsExactly(true, true, false, false, true, false, true, true);
    }

    private static boolean[] matches(String store) {
        MockEnvironment environment = new MockEnvironment();
        if (store != null) {
            environment.setProperty("wsgate.cluster.store", store);
        }
        ClusterStoreImportFilter filter = new ClusterStoreImportFilter();
        filter.setEnvironment(environment);
        return filter.match(CANDIDATES, null);
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(WsgateProperties.class)
    static class Properties {}
}
