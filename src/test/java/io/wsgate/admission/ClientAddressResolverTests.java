package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client address rules, for the cases a test server cannot easily produce. */
class ClientAddressResolverTests {

    private final ClientAddressResolver resolver =
            new ClientAddressResolver(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    @Test
    void trustsAddressesAndBlocksOfBothFamilies() {
        assertThat(this.resolver.isTrusted(address("10.200.3.4"))).isTrue();
        assertThat(this.resolver.isTrusted(address("192.168.1.7"))).isTrue();
        assertThat(this.resolver.isTrusted(address("192.168.1.8"))).isFalse();
        assertThat(this.resolver.isTrusted(address("fd12::1"))).isTrue();
        assertThat(this.resolver.isTrusted(address("2001:db8::1"))).isFalse();
        assertThat(this.resolver.isTrusted(InetSocketAddress.createUnresolved("proxy.local", 80)))
                .isFalse();
    }

    @Test
    void theRightmostUntrustedHopIsTheClient() {
        assertThat(client("10.0.0.1", "X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3"))
                .isEqualTo("198.51.100.7");
        // Several header lines are one list, in order.
        HttpHeaders headers =
                new DefaultHttpHeaders().add("X-Forwarded-For", "6.6.6.6").add("X-Forwarded-For", "198.51.100.7");
        assertThat(this.resolver.resolve(address("10.0.0.1"), headers).getHostString())
                .isEqualTo("198.51.100.7");
    }

    @Test
    void aChainOfTrustedProxiesOnlyGivesItsFirstHop() {
        assertThat(client("10.0.0.1", "X-Forwarded-For", "10.9.9.9, 10.1.2.3")).isEqualTo("10.9.9.9");
    }

    @Test
    void anUntraceableHopStopsTheSearch() {
        assertThat(client("10.0.0.1", "Forwarded", "for=198.51.100.7, for=unknown, for=10.1.2.3"))
                .isEqualTo("10.1.2.3");
        assertThat(client("10.0.0.1", "X-Forwarded-For", "198.51.100.7, not-an-address"))
                .isEqualTo("10.0.0.1");
    }

    @Test
    void forwardedWinsOverXForwardedForAndKeepsItsPort() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("X-Forwarded-For", "6.6.6.6")
                .add("Forwarded", "for=\"198.51.100.7:4711\";proto=https;by=10.0.0.1");
        InetSocketAddress client = this.resolver.resolve(address("10.0.0.1"), headers);
        assertThat(client.getHostString()).isEqualTo("198.51.100.7");
        assertThat(client.getPort()).isEqualTo(4711);
    }

    @Test
    void anUntrustedPeerIsTheClient() {
        assertThat(client("203.0.113.9", "X-Forwarded-For", "198.51.100.7")).isEqualTo("203.0.113.9");
    }

    @Test
    void refusesWhatIsNotAnAddressOrBlock() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ClientAddressResolver(List.of("10.0.0.0/abc")));
        assertThatIllegalArgumentException().isThrownBy(() -> new ClientAddressResolver(List.of("proxy.local")));
    }

    private String client(String peer, String header, String value) {
        HttpHeaders headers = new DefaultHttpHeaders().add(header, value);
        return this.resolver.resolve(address(peer), headers).getAddress().getHostAddress();
    }

    private static InetSocketAddress address(String ip) {
        return new InetSocketAddress(ip, 40000);
    }
}
