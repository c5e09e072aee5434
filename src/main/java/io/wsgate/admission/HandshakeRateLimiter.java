package io.wsgate.admission;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.wsgate.config.HandshakeRate;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Handshake rate per client and route (a client by its address, or by a token claim's key: {@code client-key}): one Bucket4j token bucket each, kept in a bounded Caffeine
 * cache. A bucket left alone for its refill period is full again, so forgetting it then changes nothing. IPv6
 * clients are counted per network ({@code wsgate.limits.ipv6-prefix}, a /64 by default): one subscriber usually
 * holds a whole /64, and a bucket per address would let it take any number of fresh buckets and push other
 * clients out of the tracked set.
 */
final class HandshakeRateLimiter {

    private record Key(String route, String client, HandshakeRate rate) {}

    private final Cache<Key, Bucket> buckets;

    private final int ipv6Prefix;

    HandshakeRateLimiter(int maxTrackedClients, int ipv6Prefix) {
        this.ipv6Prefix = ipv6Prefix;
        this.buckets = Caffeine.newBuilder()
                .maximumSize(maxTrackedClients)
                .expireAfter(
                        Expiry.accessing((Key key, Bucket bucket) -> key.rate().period()))
                .build();
    }

    /** Takes a token for one handshake; returns how long to wait when there was none, else {@code null}. */
    Duration tryAcquire(String route, InetAddress client, HandshakeRate rate) {
        return tryAcquire(route, addressKey(client), rate);
    }

    /**
     * {@link #tryAcquire(String, InetAddress, HandshakeRate)} for the client keyed {@code client}: its
     * {@link #addressKey} or a token claim's key.
     */
    Duration tryAcquire(String route, String client, HandshakeRate rate) {
        Bucket bucket = this.buckets.get(new Key(route, client, rate), key -> newBucket(key.rate()));
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? null : Duration.ofNanos(probe.getNanosToWaitForRefill());
    }

    /** The key of a client known by its address: the address whose bucket it uses, with this limiter's prefix. */
    String addressKey(InetAddress client) {
        return clientKey(client, this.ipv6Prefix).getHostAddress();
    }

    /**
     * Who a client is for every per-client limit (handshake rate, sessions): the token claim's key the auth filter
     * set ({@code client-key}), else its address's key; {@code null} when neither is known.
     */
    static String clientKey(InetSocketAddress client, String claimKey, int ipv6Prefix) {
        if (claimKey != null) {
            return claimKey;
        }
        if (client == null || client.getAddress() == null) {
            return null;
        }
        return clientKey(client.getAddress(), ipv6Prefix).getHostAddress();
    }

    /** {@link #clientKey(InetSocketAddress, String, int)} with this limiter's IPv6 prefix. */
    String clientKey(InetSocketAddress client, String claimKey) {
        return clientKey(client, claimKey, this.ipv6Prefix);
    }

    /**
     * Whom a bucket belongs to: an IPv4 address itself (also written IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address
     * with all but its first {@code ipv6Prefix} bits cleared.
     */
    static InetAddress clientKey(InetAddress client, int ipv6Prefix) {
        if (!(client instanceof Inet6Address)) {
            return client;
        }
        byte[] bytes = client.getAddress();
        if (isIpv4Mapped(bytes)) {
            return address(Arrays.copyOfRange(bytes, 12, 16));
        }
        for (int bit = ipv6Prefix; bit < 128; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return address(bytes);
    }

    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException ex) {
            throw new IllegalArgumentException(ex); // cannot happen: 4 or 16 bytes
        }
    }

    private static Bucket newBucket(HandshakeRate rate) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(rate.tokens()).refillGreedy(rate.tokens(), rate.period()))
                .build();
    }
}
