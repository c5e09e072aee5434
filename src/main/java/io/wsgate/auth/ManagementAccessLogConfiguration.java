package io.wsgate.auth;

import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The redacting access log ({@link AuthConfiguration#redactingAccessLog()}) on the management server too: when it has
 * its own port, its server is built in a child context whose server factory takes no {@code NettyServerCustomizer}
 * beans, and Reactor Netty's default format printed a management request's {@code access_token} as sent.
 *
 * <p>Listed in {@code META-INF/spring/...ManagementContextConfiguration.imports}, which Boot imports into the
 * management context; deliberately not a {@code @Configuration}, so that the application's component scan leaves it
 * there.
 */
class ManagementAccessLogConfiguration {

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> managementRedactingAccessLog() {
        return factory -> factory.addServerCustomizers(AuthConfiguration.redactingAccessLogCustomizer());
    }
}
