package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.config.WsgateProperties.Forwarded.Header;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client address rules, for the cases a test server cannot easily produce. */
class ClientAddressResolverTests {

    private static final List<String> TRUSTED = List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8");

    private final ClientAddressResolver xForwardedFor = new ClientAddressResolver(TRUSTED, Header.X_FORWARDED_FOR);

    private final ClientAddressResolver forwarded = new ClientAddressResolver(TRUSTED, Header.FORWARDED);

    @Test
    void trustsAddressesAndBlocksOfBothFamilies() {
        assertThat(this.xForwardedFor.isTrusted(address("10.200.3.4"))).isTrue();
        assertThat(this.xForwardedFor.isTrusted(address("192.168.1.7"))).isTrue();
        assertThat(this.xForwardedFor.isTrusted(address("192.168.1.8"))).isFalse();
        assertThat(this.xForwardedFor.isTrusted(address("fd12::1"))).isTrue();
        assertThat(this.xForwardedFor.isTrusted(address("2001:db8::1"))).isFalse();
        assertThat(this.xForwardedFor.isTrusted(InetSocketAddress.createUnresolved("proxy.local", 80)))
                .isFalse();
    }

    @Test
    void theRightmostUntrustedHopIsTheClient() {
        assertThat(client(this.xForwardedFor, "10.0.0.1", "X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3"))
                .isEqualTo("198.51.100.7");
        // Several header lines are one list, in order.
        HttpHeaders headers =
                new DefaultHttpHeaders().add("X-Forwarded-For", "6.6.6.6").add("X-Forwarded-For", "198.51.100.7");
        assertThat(this.xForwardedFor.resolve(address("10.0.0.1"), headers).getHostString())
                .isEqualTo("198.51.100.7");
    }

    @Test
    void xForwardedForReadsBareIpv6Addresses() {
        assertThat(client(this.xForwardedFor, "10.0.0.1", "X-Forwarded-For", "2001:db8:1:2::1, fd00::7"))
                .isEqualTo("2001:db8:1:2:0:0:0:1");
        assertThat(client(this.xForwardedFor, "10.0.0.1", "X-Forwarded-For", "[2001:db8::1]:4711"))
                .isEqualTo("2001:db8:0:0:0:0:0:1");
    }

    @Test
    void aChainOfTrustedProxiesOnlyGivesItsFirstHop() {
        assertThat(client(this.xForwardedFor, "10.0.0.1", "X-Forwarded-For", "10.9.9.9, 10.1.2.3"))
                .isEqualTo("10.9.9.9");
    }

    @Test
    void anUntraceableHopStopsTheSearch() {
        assertThat(client(this.forwarded, "10.0.0.1", "Forwarded", "for=198.51.100.7, for=unknown, for=10.1.2.3"))
                .isEqualTo("10.1.2.3");
        assertThat(client(this.forwarded, "10.0.0.1", "Forwarded", "for=198.51.100.7, for=_hidden, for=10.1.2.3"))
                .isEqualTo("10.1.2.3");
        assertThat(client(this.xForwardedFor, "10.0.0.1", "X-Forwarded-For", "198.51.100.7, not-an-address"))
                .isEqualTo("10.0.0.1");
    }

    @Test
    void onlyTheConfiguredHeaderIsRead() {
        HttpHeaders headers =
                new DefaultHttpHeaders().add("X-Forwarded-For", "198.51.100.7").add("Forwarded", "for=6.6.6.6");
        assertThat(this.xForwardedFor.resolve(address("10.0.0.1"), headers).getHostString())
                .isEqualTo("198.51.100.7");
        HttpHeaders other =
                new DefaultHttpHeaders().add("X-Forwarded-For", "6.6.6.6").add("Forwarded", "for=198.51.100.7");
        assertThat(this.forwarded.resolve(address("10.0.0.1"), other).getHostString())
                .isEqualTo("198.51.100.7");
        // The configured header absent: the trusted peer itself, never the other header.
        HttpHeaders onlyOther = new DefaultHttpHeaders().add("Forwarded", "for=6.6.6.6");
        assertThat(this.xForwardedFor.resolve(address("10.0.0.1"), onlyOther).getHostString())
                .isEqualTo("10.0.0.1");
    }

    @Test
    void forwardedKeepsItsPortAndReadsIpv6InBrackets() {
        HttpHeaders headers =
                new DefaultHttpHeaders().add("Forwarded", "for=\"198.51.100.7:4711\";proto=https;by=10.0.0.1");
        InetSocketAddress client = this.forwarded.resolve(address("10.0.0.1"), headers);
        assertThat(client.getHostString()).isEqualTo("198.51.100.7");
        assertThat(client.getPort()).isEqualTo(4711);

        InetSocketAddress v6 = this.forwarded.resolve(
                address("10.0.0.1"),
                new DefaultHttpHeaders().add("Forwarded", "for=\"[2001:db8:cafe::17]:4711\", for=\"[fd00::1]\""));
        assertThat(v6.getAddress().getHostAddress()).isEqualTo("2001:db8:cafe:0:0:0:0:17");
        assertThat(v6.getPort()).isEqualTo(4711);
    }

    @Test
    void quotedCommasAndSemicolonsCannotForgeAHop() {
        // A proxy that writes the client's Host before for=: a naive split at ';' took 6.6.6.6 from inside the quotes.
        assertThat(client(this.forwarded, "10.0.0.1", "Forwarded", "host=\"x;for=6.6.6.6;y\";for=198.51.100.7"))
                .isEqualTo("198.51.100.7");
        // A naive split at ',' made the proxy's own element unreadable, so the proxy became the client.
        assertThat(client(this.forwarded, "10.0.0.1", "Forwarded", "for=198.51.100.7;host=\"a, for=10.0.0.3\""))
                .isEqualTo("198.51.100.7");
    }

    @Test
    void aBrokenForwardedLineIsUntraceable() {
        // The client's unterminated quote swallows what the proxy appended to the same line.
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Forwarded", "for=\"6.6.6.6, for=198.51.100.7")
                .add("Forwarded", "for=10.1.2.3");
        assertThat(this.forwarded.resolve(address("10.0.0.1"), headers).getHostString())
                .isEqualTo("10.1.2.3");
    }

    @Test
    void anUntrustedPeerIsTheClient() {
        assertThat(client(this.xForwardedFor, "203.0.113.9", "X-Forwarded-For", "198.51.100.7"))
                .isEqualTo("203.0.113.9");
        assertThat(client(this.forwarded, "203.0.113.9", "Forwarded", "for=198.51.100.7"))
                .isEqualTo("203.0.113.9");
    }

    @Test
    void refusesWhatIsNotAnAddressOrBlock() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new ClientAddressResolver(List.of("10.0.0.0/abc"), Header.X_FORWARDED_FOR));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new ClientAddressResolver(List.of("proxy.local"), Header.X_FORWARDED_FOR));
    }

    private static String client(ClientAddressResolver resolver, String peer, String header, String value) {
        HttpHeaders headers = new DefaultHttpHeaders().add(header, value);
        return resolver.resolve(address(peer), headers).getAddress().getHostAddress();
    }

    private static InetSocketAddress address(String ip) {
        return new InetSocketAddress(ip, 40000);
    }
}
