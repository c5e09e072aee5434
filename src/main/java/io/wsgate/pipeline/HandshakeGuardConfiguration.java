package io.wsgate.pipeline;

import io.netty.channel.ChannelPipeline;
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
        return requestHeadTimeout(properties.getHandshake().getHeaderTimeout().toMillis(), metrics);
    }

    /**
     * {@link RequestHeadTimeout} on each HTTP connection of {@code server}; {@code metrics} null: none counted. Where
     * both customizers reach one server (the management server on the traffic port), the counting one stays.
     */
    static NettyServerCustomizer requestHeadTimeout(long timeoutMillis, WebSocketMetrics metrics) {
        return server -> server.doOnChannelInit((observer, channel, address) -> {
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(NettyPipeline.HttpCodec) == null) {
                return;
            }
            if (pipeline.get(RequestHeadTimeout.NAME) == null) {
                pipeline.addAfter(
                        NettyPipeline.HttpCodec,
                        RequestHeadTimeout.NAME,
                        new RequestHeadTimeout(timeoutMillis, metrics));
            } else if (metrics != null) {
                pipeline.replace(
                        RequestHeadTimeout.NAME,
                        RequestHeadTimeout.NAME,
                        new RequestHeadTimeout(timeoutMillis, metrics));
            }
        });
    }
}
