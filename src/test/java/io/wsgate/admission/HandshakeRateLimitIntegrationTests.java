package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The handshake rate per client address: each address has its own bucket, the address being the one a trusted
 * proxy forwarded, and an X-Forwarded-For from anyone else is ignored. Buckets refill slowly (2 an hour) so
 * that no test depends on timing. 127.0.0.1 is the trusted proxy; 127.0.0.2 (also loopback) is not. IPv6 clients
 * count per /64 (wsgate.limits.ipv6-prefix).
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(
        properties = {
            "wsgate.forwarded.trusted-proxies=127.0.0.1",
            "wsgate.forwarded.header=x-forwarded-for",
            "wsgate.limits.handshake-rate-per-client=2/1h"
        })
class HandshakeRateLimitIntegrationTests {

    @Backend
    static EchoBackend echo;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("rated", "ws://127.0.0.1:" + echo.port(), "/rated/**");
        routes.add("untrusted", "ws://127.0.0.1:" + echo.port(), "/untrusted/**");
        routes.add("ipv6", "ws://127.0.0.1:" + echo.port(), "/ipv6/**");
        routes.add("unrated", "ws://127.0.0.1:" + echo.port(), "/unrated/**")
                .metadata("handshake-rate-per-client", "off");
    }

    @Test
    void eachForwardedClientAddressHasItsOwnBucket(CapturedOutput output) throws IOException {
        assertThat(statuses("/rated/", InetAddress.getLoopbackAddress(), "203.0.113.1", 3))
                .containsExactly(101, 101, 429);
        RawHttp.Response refused = upgrade("/rated/", InetAddress.getLoopbackAddress(), "203.0.113.1");
        assertThat(refused.status()).isEqualTo(429);
        // The next token is half an hour away.
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1700L, 1800L);
        assertThat(output.getOut())
                .contains("Route rated: refused handshake from 203.0.113.1 with 429:"
                        + " more than 2/1h handshakes from this address");

        // Another client behind the same proxy is not held back by the first.
        assertThat(statuses("/rated/", InetAddress.getLoopbackAddress(), "203.0.113.2", 2))
                .containsExactly(101, 101);
        assertThat(this.registry
                        .get(WsgateMeterNames.HANDSHAKES_REJECTED)
                        .tags("route", "rated", "reason", "rate-limited", "status", "429")
                        .counter()
                        .count())
                .isEqualTo(2);
    }

    @Test
    void xForwardedForFromAnUntrustedPeerIsIgnored() throws IOException {
        InetAddress untrusted = InetAddress.getByName("127.0.0.2");
        // A new address in every request: were the header believed, each would get a fresh bucket.
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            statuses.add(upgrade("/untrusted/", untrusted, "198.51.100." + i).status());
        }
        assertThat(statuses).containsExactly(101, 101, 429);
    }

    @Test
    void ipv6ClientsOfOneSlash64ShareABucket() throws IOException {
        // Three addresses of one /64, as one subscriber's devices (or one attacker rotating addresses) have.
        InetAddress proxy = InetAddress.getLoopbackAddress();
        List<Integer> statuses = new ArrayList<>();
        for (String client : List.of("2001:db8:1:2::1", "2001:db8:1:2:ffff::2", "2001:db8:1:2:abcd:1:2:3")) {
            statuses.add(upgrade("/ipv6/", proxy, client).status());
        }
        assertThat(statuses).containsExactly(101, 101, 429);
        // The next /64 has its own bucket.
        assertThat(upgrade("/ipv6/", proxy, "2001:db8:1:3::1").status()).isEqualTo(101);
    }

    @Test
    void aRouteCanTurnTheDefaultRateOff() throws IOException {
        assertThat(statuses("/unrated/", InetAddress.getLoopbackAddress(), "203.0.113.9", 5))
                .containsOnly(101);
    }

    private List<Integer> statuses(String path, InetAddress from, String forwardedFor, int count) throws IOException {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            statuses.add(upgrade(path, from, forwardedFor).status());
        }
        return statuses;
    }

    private RawHttp.Response upgrade(String path, InetAddress from, String forwardedFor) throws IOException {
        return RawHttp.exchange(
                from, new byte[0], this.port, RawHttp.upgradeRequest(path, "X-Forwarded-For: " + forwardedFor));
    }
}
