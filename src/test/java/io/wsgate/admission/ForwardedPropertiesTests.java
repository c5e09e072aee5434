package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.config.WsgateProperties;
import io.wsgate.config.WsgateProperties.Forwarded.Header;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * wsgate.forwarded.header has no default and no fallback: trusted proxies without a named header, or the PROXY
 * protocol without trusted proxies, stop startup with one line saying what to set.
 */
class ForwardedPropertiesTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Properties.class);

    @Test
    void trustedProxiesWithoutAHeaderStopStartup() {
        this.runner
                .withPropertyValues("wsgate.forwarded.trusted-proxies=10.0.0.0/8")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining(
                                "wsgate.forwarded.trusted-proxies is set but wsgate.forwarded.header is not"));
    }

    @Test
    void theHeaderIsOneOfTwoNames() {
        this.runner
                .withPropertyValues(
                        "wsgate.forwarded.trusted-proxies=10.0.0.0/8", "wsgate.forwarded.header=x-forwarded-for")
                .run(context -> assertThat(context.getBean(WsgateProperties.class)
                                .getForwarded()
                                .getHeader())
                        .isEqualTo(Header.X_FORWARDED_FOR));
        this.runner
                .withPropertyValues("wsgate.forwarded.trusted-proxies=10.0.0.0/8", "wsgate.forwarded.header=forwarded")
                .run(context -> assertThat(context.getBean(WsgateProperties.class)
                                .getForwarded()
                                .getHeader())
                        .isEqualTo(Header.FORWARDED));
        this.runner
                .withPropertyValues("wsgate.forwarded.trusted-proxies=10.0.0.0/8", "wsgate.forwarded.header=x-real-ip")
                .run(context -> assertThat(context.getStartupFailure()).isNotNull());
    }

    @Test
    void theProxyProtocolAloneNeedsNoHeader() {
        this.runner
                .withPropertyValues("wsgate.forwarded.trusted-proxies=10.0.0.0/8", "wsgate.forwarded.proxy-protocol=on")
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void theProxyProtocolWithoutTrustedProxiesStopsStartup() {
        this.runner
                .withPropertyValues("wsgate.forwarded.proxy-protocol=auto")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining(
                                "wsgate.forwarded.proxy-protocol is auto but wsgate.forwarded.trusted-proxies"
                                        + " is empty"));
    }

    @Test
    void theIpv6PrefixIsABitCount() {
        this.runner
                .withPropertyValues("wsgate.limits.ipv6-prefix=129")
                .run(context -> assertThat(context.getStartupFailure()).isNotNull());
        this.runner.run(context -> assertThat(
                        context.getBean(WsgateProperties.class).getLimits().getIpv6Prefix())
                .isEqualTo(64));
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(WsgateProperties.class)
    static class Properties {}
}
