package io.wsgate.pipeline;

import io.wsgate.config.WsgateProperties;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * {@link RequestHeadTimeout} on the management server too: when it has its own port, its server is built in a child
 * context, whose server factory takes no {@code NettyServerCustomizer} beans (only factory customizers). There it bounds the request
 * head (a slow client gets its 408) and keeps keep-alive connections reading, which Prometheus and probes reuse; its
 * refusals are not counted as refused handshakes.
 *
 * <p>Listed in {@code META-INF/spring/...ManagementContextConfiguration.imports}, which Boot imports into the
 * management context; deliberately not a {@code @Configuration}, so that the application's component scan leaves it
 * there.
 */
class ManagementServerGuardConfiguration {

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> managementRequestHeadTimeout(
            WsgateProperties properties) {
        return factory -> factory.addServerCustomizers(HandshakeGuardConfiguration.requestHeadTimeout(
                properties.getHandshake().getHeaderTimeout().toMillis(), null));
    }
}
