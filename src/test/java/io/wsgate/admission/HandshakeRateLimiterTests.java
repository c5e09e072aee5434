package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.config.HandshakeRate;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Whose bucket a handshake takes from: IPv4 per address, IPv6 per network of wsgate.limits.ipv6-prefix bits. */
class HandshakeRateLimiterTests {

    @Test
    void ipv6AddressesAreKeyedByTheirPrefix() throws UnknownHostException {
        assertThat(key("2001:db8:1:2:abcd:ef01:2345:6789", 64)).isEqualTo(ip("2001:db8:1:2::"));
        assertThat(key("2001:db8:1:2::1", 64)).isEqualTo(key("2001:db8:1:2:ffff:ffff:ffff:ffff", 64));
        assertThat(key("2001:db8:1:2::1", 64)).isNotEqualTo(key("2001:db8:1:3::1", 64));
        assertThat(key("2001:db8:1:2::1", 48)).isEqualTo(key("2001:db8:1:3::1", 48));
        assertThat(key("2001:db8:1:ff::1", 56)).isEqualTo(ip("2001:db8:1::"));
        assertThat(key("2001:db8::1", 128)).isNotEqualTo(key("2001:db8::2", 128));
    }

    @Test
    void ipv4AddressesKeepTheirOwnBucketAlsoWhenWrittenIpv4Mapped() throws UnknownHostException {
        assertThat(key("198.51.100.7", 64)).isEqualTo(ip("198.51.100.7"));
        assertThat(key("198.51.100.7", 64)).isNotEqualTo(key("198.51.100.8", 64));
        InetAddress mapped = java.net.Inet6Address.getByAddress(
                null, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 198, 51, 100, 7}, -1);
        assertThat(HandshakeRateLimiter.clientKey(mapped, 64)).isEqualTo(ip("198.51.100.7"));
    }

    @Test
    void oneSlash64SharesOneBucket() throws UnknownHostException {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(100, 64);
        HandshakeRate rate = new HandshakeRate(2, Duration.ofHours(1));
        assertThat(limiter.tryAcquire("r", ip("2001:db8::1"), rate)).isNull();
        assertThat(limiter.tryAcquire("r", ip("2001:db8::2"), rate)).isNull();
        assertThat(limiter.tryAcquire("r", ip("2001:db8::3"), rate)).isNotNull();
        assertThat(limiter.tryAcquire("r", ip("2001:db8:0:1::1"), rate)).isNull();
    }

    private static InetAddress key(String address, int prefix) throws UnknownHostException {
        return HandshakeRateLimiter.clientKey(ip(address), prefix);
    }

    private static InetAddress ip(String address) throws UnknownHostException {
        return InetAddress.getByName(address);
    }
}
