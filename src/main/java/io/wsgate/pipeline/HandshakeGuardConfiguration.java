package io.wsgate.pipeline;

import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WebSocketMetrics;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.NettyPipeline;

/**
 * The traffic server's guard for the phase before any route runs: {@link RequestHeadTimeout} on every
 * connection (gateway and echo-only mode alike). Header and URI size limits are Boot's
 * {@code server.max-http-request-header-size} and {@code server.netty.max-initial-line-length}.
 */
@Configuration(proxyBeanMethods = false)
class HandshakeGuardConfiguration {

    @Bean
    NettyServerCustomizer requestHeadTimeoutCustomizer(WsgateProperties properties, WebSocketMetrics metrics) {
        long timeoutMillis = properties.getHandshake().getHeaderTimeout().toMillis();
        return server -> server.doOnChannelInit((observer, channel, address) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                channel.pipeline()
                        .addAfter(
                                NettyPipeline.HttpCodec,
                                RequestHeadTimeout.NAME,
                                new RequestHeadTimeout(timeoutMillis, metrics));
            }
        });
    }
}
