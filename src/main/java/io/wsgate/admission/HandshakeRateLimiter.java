package io.wsgate.admission;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.net.InetAddress;
import java.time.Duration;

/**
 * Handshake rate per client address and route: one Bucket4j token bucket each, kept in a bounded Caffeine
 * cache. A bucket left alone for its refill period is full again, so forgetting it then changes nothing.
 */
final class HandshakeRateLimiter {

    private record Key(String route, InetAddress client, HandshakeRate rate) {}

    private final Cache<Key, Bucket> buckets;

    HandshakeRateLimiter(int maxTrackedClients) {
        this.buckets = Caffeine.newBuilder()
                .maximumSize(maxTrackedClients)
                .expireAfter(
                        Expiry.accessing((Key key, Bucket bucket) -> key.rate().period()))
                .build();
    }

    /** Takes a token for one handshake; returns how long to wait when there was none, else {@code null}. */
    Duration tryAcquire(String route, InetAddress client, HandshakeRate rate) {
        Bucket bucket = this.buckets.get(new Key(route, client, rate), key -> newBucket(key.rate()));
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? null : Duration.ofNanos(probe.getNanosToWaitForRefill());
    }

    private static Bucket newBucket(HandshakeRate rate) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(rate.tokens()).refillGreedy(rate.tokens(), rate.period()))
                .build();
    }
}
