package io.wsgate.cluster;

import io.lettuce.core.ClientOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.config.WsgateProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** The shared store, with {@code wsgate.cluster.store=redis} only (connection: {@code spring.data.redis.*}). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "wsgate.cluster.store", havingValue = "redis")
class ClusterConfiguration {

    @Bean
    RedisSharedLimits redisSharedLimits(
            ReactiveStringRedisTemplate redis, WsgateProperties properties, MeterRegistry meterRegistry) {
        return new RedisSharedLimits(redis, properties.getCluster(), ReplicaId.generate(), meterRegistry);
    }

    /**
     * Commands fail at once while the connection is down instead of queueing until it is back: admission has
     * already gone on without them, and replayed increments would count sessions twice.
     */
    @Bean
    LettuceClientOptionsBuilderCustomizer wsgateRejectWhileDisconnected() {
        return options -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    }
}
