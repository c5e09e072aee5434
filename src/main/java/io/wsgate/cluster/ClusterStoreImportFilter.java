package io.wsgate.cluster;

import io.wsgate.config.WsgateProperties.Cluster.Store;
import java.util.Locale;
import org.springframework.boot.autoconfigure.AutoConfigurationImportFilter;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Keeps Spring Boot's Redis auto-configuration out unless {@code wsgate.cluster.store} is {@code redis}: the Redis
 * starter is always on the classpath, and without this its connection factory, templates and {@code redis} health
 * contributor would exist in every gateway (a Redis nobody runs would make {@code /actuator/health} DOWN). The
 * health contributors and repository scanning stay out even with Redis: the gateway goes on without Redis (fail
 * open), so Redis's health is not the gateway's; {@code wsgate_cluster_store_up} tells it. Spring Cloud Gateway's
 * own Redis configuration (the HTTP {@code RequestRateLimiter}'s {@code RedisRateLimiter}, a Redis route repository
 * that would compete with wsgate's route file) stays out always: it is not wsgate's, and with Boot's Redis beans
 * present it failed a test context's start ({@code redisRateLimiter}: no {@code ConfigurationService} bean).
 */
public final class ClusterStoreImportFilter implements AutoConfigurationImportFilter, EnvironmentAware {

    private static final String REDIS = "org.springframework.boot.data.redis.autoconfigure.";

    private static final String GATEWAY_REDIS =
            "org.springframework.cloud.gateway.config.GatewayRedisAutoConfiguration";

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public boolean[] match(String[] autoConfigurationClasses, AutoConfigurationMetadata metadata) {
        boolean redis = Store.REDIS
                .name()
                .equals(this.environment
                        .getProperty("wsgate.cluster.store", "none")
                        .trim()
                        .toUpperCase(Locale.ROOT));
        boolean[] matches = new boolean[autoConfigurationClasses.length];
        for (int i = 0; i < matches.length; i++) {
            String candidate = autoConfigurationClasses[i];
            if (GATEWAY_REDIS.equals(candidate)) {
                matches[i] = false;
                continue;
            }
            matches[i] = candidate == null
                    || !candidate.startsWith(REDIS)
                    || (redis && !candidate.startsWith(REDIS + "health.") && !candidate.contains("Repositories"));
        }
        return matches;
    }
}
