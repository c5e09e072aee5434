package io.wsgate.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.admission.SharedLimits;
import io.wsgate.config.HandshakeRate;
import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.WsgateMeterNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@link SharedLimits} on Redis. Each scope's count is a hash with one field per replica
 * ({@code {wsgate}:sessions:<scope>}, field: replica id); each replica has a heartbeat key
 * ({@code {wsgate}:replica:<id>}) that lives {@code heartbeat-ttl} and is refreshed every third of it. The check and
 * the take are one Lua script that sums the fields of live replicas and deletes those of dead ones, so a replica
 * killed without cleaning up stops counting once its heartbeat key has expired. Why fields per replica rather than
 * one counter per scope: a single counter cannot tell whose sessions it holds, so a crash would leak its slots for
 * good. All keys share one hash tag, so the scripts also run on a Redis Cluster (in one slot).
 *
 * <p>The heartbeat also writes this replica's true counts (from admission's own) over its fields: an update lost
 * while Redis was away, or raced by the heartbeat, is put right within a third of the TTL. When Redis fails or
 * answers later than {@code wsgate.cluster.timeout}, admission goes on with the replica's own limits: one WARN when
 * that starts, every failed call counted in {@code wsgate.cluster.store.errors}. Until a heartbeat goes through
 * again, admission does not call Redis at all (no handshake waits for a Redis that is away); that heartbeat writes
 * this replica's counts, and one INFO says the limits are shared again.
 */
final class RedisSharedLimits implements SharedLimits, SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(RedisSharedLimits.class);

    // Most scopes written by one heartbeat script call.
    private static final int HEARTBEAT_BATCH = 500;

    private static final RedisScript<Long> TAKE = script("take.lua");

    private static final RedisScript<Long> ADD = script("add.lua");

    private static final RedisScript<Long> HEARTBEAT = script("heartbeat.lua");

    private static final RedisScript<Long> TOKEN_BUCKET = script("token-bucket.lua");

    private final ReactiveStringRedisTemplate redis;

    private final String replicaId;

    private final String keyPrefix;

    private final String ttlMillis;

    private final Duration heartbeatInterval;

    private final Duration timeout;

    private final Counter errors;

    private final AtomicBoolean down = new AtomicBoolean();

    // Scopes this replica changed since the last heartbeat, or wrote a count into at the last one: the heartbeat
    // writes each of them again (0 deletes the field), so none is left behind when the local count fell to 0.
    private final Set<String> written = ConcurrentHashMap.newKeySet();

    private volatile Supplier<Map<String, Long>> localCounts = Map::of;

    private volatile Disposable heartbeats;

    RedisSharedLimits(
            ReactiveStringRedisTemplate redis,
            WsgateProperties.Cluster cluster,
            String replicaId,
            MeterRegistry meterRegistry) {
        this.redis = redis;
        this.replicaId = replicaId;
        this.keyPrefix = "{" + cluster.getKeyPrefix() + "}:";
        this.ttlMillis = Long.toString(cluster.getHeartbeatTtl().toMillis());
        this.heartbeatInterval = cluster.getHeartbeatTtl().dividedBy(3);
        this.timeout = cluster.getTimeout();
        this.errors = Counter.builder(WsgateMeterNames.CLUSTER_STORE_ERRORS)
                .description("Calls to the shared store (Redis) that failed or timed out; admission used local limits")
                .register(meterRegistry);
        Gauge.builder(WsgateMeterNames.CLUSTER_STORE_UP, this, limits -> limits.down.get() ? 0 : 1)
                .description("1 while the shared store (Redis) answers, 0 while admission uses local limits")
                .register(meterRegistry);
    }

    private static RedisScript<Long> script(String name) {
        return RedisScript.of(new ClassPathResource("io/wsgate/cluster/" + name), Long.class);
    }

    @Override
    public Mono<Integer> take(List<String> scopes, List<Integer> limits) {
        List<String> args = new ArrayList<>(List.of(this.replicaId, this.keyPrefix + "replica:", this.ttlMillis));
        limits.forEach(limit -> args.add(Integer.toString(limit)));
        return call(TAKE, sessionKeys(scopes), args, "take")
                .map(answer -> {
                    if (answer == 0) {
                        this.written.addAll(scopes);
                    }
                    return answer.intValue();
                })
                .defaultIfEmpty(UNKNOWN);
    }

    @Override
    public void add(List<String> scopes, int delta) {
        this.written.addAll(scopes);
        call(ADD, sessionKeys(scopes), List.of(this.replicaId, Integer.toString(delta), this.ttlMillis), "add")
                .subscribe();
    }

    @Override
    public Mono<Long> acquire(String bucket, HandshakeRate rate) {
        return call(
                        TOKEN_BUCKET,
                        List.of(this.keyPrefix + "rate:" + bucket),
                        List.of(
                                Long.toString(rate.tokens()),
                                Long.toString(rate.period().toMillis())),
                        "handshake rate")
                .defaultIfEmpty((long) UNKNOWN);
    }

    @Override
    public void countFrom(Supplier<Map<String, Long>> localCounts) {
        this.localCounts = localCounts;
    }

    /**
     * The script's answer, or empty when Redis failed or was slower than the timeout (then counted and logged). While
     * Redis is known to be away, empty at once: handshakes do not wait for it, and the heartbeat alone finds out when
     * it is back.
     */
    private Mono<Long> call(RedisScript<Long> script, List<String> keys, List<String> args, String what) {
        if (this.down.get()) {
            return Mono.empty();
        }
        return execute(script, keys, args).timeout(this.timeout).onErrorResume(ex -> {
            failed(what, ex);
            return Mono.empty();
        });
    }

    /**
     * Off the caller's thread: without a connection yet (Redis away since the start), Spring Data Redis opens its
     * shared connection blocking the subscriber, which must not be a Netty event loop.
     */
    private Mono<Long> execute(RedisScript<Long> script, List<String> keys, List<String> args) {
        return Mono.defer(() -> this.redis.execute(script, keys, args).next()).subscribeOn(Schedulers.boundedElastic());
    }

    /** Writes the heartbeat key and this replica's counts; never fails. */
    Mono<Void> heartbeat() {
        Map<String, Long> counts = this.localCounts.get();
        Set<String> scopes = new HashSet<>(counts.keySet());
        // Taken out one by one: a scope added meanwhile stays for the next heartbeat.
        for (Iterator<String> changed = this.written.iterator(); changed.hasNext(); ) {
            scopes.add(changed.next());
            changed.remove();
        }
        List<String> all = new ArrayList<>(scopes);
        List<Mono<Long>> batches = new ArrayList<>();
        for (int from = 0; from < Math.max(1, all.size()); from += HEARTBEAT_BATCH) {
            List<String> batch = all.subList(from, Math.min(all.size(), from + HEARTBEAT_BATCH));
            List<String> keys = new ArrayList<>(List.of(this.keyPrefix + "replica:" + this.replicaId));
            keys.addAll(sessionKeys(batch));
            List<String> args = new ArrayList<>(List.of(this.replicaId, this.ttlMillis));
            batch.forEach(scope -> args.add(Long.toString(counts.getOrDefault(scope, 0L))));
            batches.add(execute(HEARTBEAT, keys, args).timeout(this.heartbeatInterval));
        }
        return Flux.concat(batches)
                .then()
                .doOnSuccess(done -> {
                    counts.forEach((scope, count) -> this.written.add(scope));
                    answered();
                })
                .onErrorResume(ex -> {
                    // Written again at the next heartbeat.
                    this.written.addAll(scopes);
                    failed("heartbeat", ex);
                    return Mono.empty();
                });
    }

    private List<String> sessionKeys(List<String> scopes) {
        return scopes.stream()
                .map(scope -> this.keyPrefix + "sessions:" + scope)
                .toList();
    }

    /** A heartbeat went through: this replica's counts are right in Redis again. */
    private void answered() {
        if (this.down.compareAndSet(true, false)) {
            logger.info("Cluster store (Redis) answers again: session limits and handshake rates are shared again");
        }
    }

    private void failed(String what, Throwable ex) {
        this.errors.increment();
        if (this.down.compareAndSet(false, true)) {
            logger.warn(
                    "Cluster store (Redis) failed ({}: {}): admission goes on with this replica's own limits until it"
                            + " answers again",
                    what,
                    ex instanceof java.util.concurrent.TimeoutException
                            ? "no answer within " + this.timeout.toMillis() + " ms"
                            : String.valueOf(NestedExceptionUtils.getMostSpecificCause(ex)
                                    .getMessage()));
        }
    }

    /** Started after the Redis connection factory (phase 0), stopped after the web server has closed. */
    @Override
    public int getPhase() {
        return 1000;
    }

    @Override
    public void start() {
        logger.info(
                "Session limits and handshake rates shared on Redis as replica {} (heartbeat every {} ms)",
                this.replicaId,
                this.heartbeatInterval.toMillis());
        this.heartbeats = Flux.interval(Duration.ZERO, this.heartbeatInterval)
                .onBackpressureDrop()
                .concatMap(tick -> heartbeat(), 1)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable running = this.heartbeats;
        if (running != null) {
            running.dispose();
            this.heartbeats = null;
            // Gone now rather than at the end of the TTL: other replicas drop this one's counts at their next take.
            if (!this.down.get()) {
                Mono.defer(() -> this.redis.delete(this.keyPrefix + "replica:" + this.replicaId))
                        .subscribeOn(Schedulers.boundedElastic())
                        .timeout(this.timeout)
                        .onErrorResume(ex -> Mono.empty())
                        .block();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return this.heartbeats != null;
    }

    String replicaId() {
        return this.replicaId;
    }
}
