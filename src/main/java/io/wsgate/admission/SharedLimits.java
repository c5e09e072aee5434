package io.wsgate.admission;

import io.wsgate.config.HandshakeRate;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Session counts and handshake-rate buckets kept for all replicas together ({@code wsgate.cluster.store}; the
 * {@code cluster} package implements it on Redis). A count is kept per scope: {@code all}, {@code route:<id>},
 * {@code client:<id>:<address>} or {@code client:<id>:claim.<hash>} (a client keyed by a token claim). Answers never take longer than the store's timeout; an answer the store could not
 * give is {@link #UNKNOWN}, and admission then goes by this replica's own counts (fail open).
 */
public interface SharedLimits {

    /** The store could not answer in time. */
    int UNKNOWN = -1;

    /**
     * Takes one slot on each scope for this replica unless a scope with a limit is at it ({@code limits}, one per
     * scope, 0 for none). Emits 0 when taken, the 1-based index of the first full scope (nothing taken), or
     * {@link #UNKNOWN}.
     */
    Mono<Integer> take(List<String> scopes, List<Integer> limits);

    /** Adds {@code delta} to this replica's count on each scope, without waiting for the store. */
    void add(List<String> scopes, int delta);

    /**
     * A token from the cluster's bucket named {@code bucket}: emits 0 when taken, the milliseconds until the next
     * token when there was none, or {@link #UNKNOWN}.
     */
    Mono<Long> acquire(String bucket, HandshakeRate rate);

    /**
     * Where the store reads this replica's true counts per scope (sessions open and handshakes admitted), to put
     * its share right again after an outage or a lost update.
     */
    void countFrom(Supplier<Map<String, Long>> localCounts);
}
