package io.wsgate.balancing;

import io.wsgate.config.Balancing;
import io.wsgate.config.RouteSettingsCache;
import io.wsgate.session.SessionRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.cloud.loadbalancer.core.NoopServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;

/**
 * Picks the backend instance of an {@code lb:} route for a new session, by the route's {@code lb-policy}:
 * round robin (the default), the instance with the fewest sessions open from this gateway, or a consistent hash of a
 * request value (rendezvous hashing: when an instance joins or leaves, only the keys it wins or held move).
 *
 * <p>Spring Cloud LoadBalancer chooses per service, not per route; the route comes with the request, in the exchange
 * attributes Spring Cloud Gateway hands to the load balancer.
 */
final class InstanceChoice implements ReactorServiceInstanceLoadBalancer {

    /** How long a choice counts against its instance before its session is open (the handshake is under way). */
    static final long PENDING_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final ObjectProvider<ServiceInstanceListSupplier> instances;

    private final SessionRegistry sessions;

    private final RouteSettingsCache settings;

    private final AtomicInteger next =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(1000));

    private final Map<String, Expected> expected = new ConcurrentHashMap<>();

    /** What an instance's session count will be once the handshakes sent its way are done, and since when. */
    private record Expected(long sessions, long sinceNanos) {}

    InstanceChoice(
            ObjectProvider<ServiceInstanceListSupplier> instances,
            SessionRegistry sessions,
            RouteSettingsCache settings) {
        this.instances = instances;
        this.sessions = sessions;
        this.settings = settings;
    }

    @Override
    public Mono<Response<ServiceInstance>> choose(Request request) {
        ServiceInstanceListSupplier supplier = this.instances.getIfAvailable(NoopServiceInstanceListSupplier::new);
        return supplier.get(request).next().map(list -> choose(list, request));
    }

    Response<ServiceInstance> choose(List<ServiceInstance> list, Request<?> request) {
        if (list.isEmpty()) {
            return new EmptyResponse();
        }
        RequestData data =
                request.getContext() instanceof RequestDataContext context ? context.getClientRequest() : null;
        Balancing balancing = balancing(data);
        ServiceInstance chosen = switch (balancing.policy()) {
            case LEAST_SESSIONS -> leastSessions(list);
            case HASH -> {
                String key = hashValue(balancing.hashKey(), data);
                yield key != null ? highestScore(list, key) : roundRobin(list);
            }
            case ROUND_ROBIN -> roundRobin(list);
        };
        return new DefaultResponse(chosen);
    }

    private Balancing balancing(RequestData data) {
        Object route = data != null ? data.getAttributes().get(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR) : null;
        return route instanceof Route r && this.settings != null
                ? this.settings.get(r).balancing()
                : Balancing.ROUND_ROBIN;
    }

    private ServiceInstance roundRobin(List<ServiceInstance> list) {
        return list.get(Math.floorMod(this.next.getAndIncrement(), list.size()));
    }

    /**
     * The instance with the fewest sessions open from this gateway. A handshake sent to an instance counts at once,
     * for two seconds, until its session is open, so a burst of handshakes does not all land on the instance that
     * was emptiest before it. Ties go round robin.
     */
    private ServiceInstance leastSessions(List<ServiceInstance> list) {
        long now = System.nanoTime();
        int start = Math.floorMod(this.next.getAndIncrement(), list.size());
        ServiceInstance best = null;
        long bestLoad = Long.MAX_VALUE;
        for (int i = 0; i < list.size(); i++) {
            ServiceInstance instance = list.get((start + i) % list.size());
            long load = load(instance, now);
            if (load < bestLoad) {
                best = instance;
                bestLoad = load;
            }
        }
        this.expected.put(key(best), new Expected(bestLoad + 1, now));
        return best;
    }

    private long load(ServiceInstance instance, long now) {
        long open = this.sessions != null ? this.sessions.activeOnInstance(instance.getHost(), instance.getPort()) : 0;
        Expected recent = this.expected.get(key(instance));
        return recent != null && now - recent.sinceNanos() <= PENDING_NANOS ? Math.max(open, recent.sessions()) : open;
    }

    /** Rendezvous hashing: the instance whose hash with the key is highest. */
    static ServiceInstance highestScore(List<ServiceInstance> list, String key) {
        return list.stream()
                .max(Comparator.comparingLong((ServiceInstance instance) -> score(key, key(instance)))
                        .thenComparing(InstanceChoice::key))
                .orElseThrow();
    }

    private static long score(String key, String instance) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((key + "\n" + instance).getBytes(StandardCharsets.UTF_8));
            long score = 0;
            for (int i = 0; i < 8; i++) {
                score = (score << 8) | (digest[i] & 0xff);
            }
            return score;
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String hashValue(Balancing.HashKey hashKey, RequestData data) {
        if (data == null || hashKey == null) {
            return null;
        }
        String value = switch (hashKey.source()) {
            case HEADER -> data.getHeaders().getFirst(hashKey.name());
            case COOKIE -> data.getCookies() != null ? data.getCookies().getFirst(hashKey.name()) : null;
            case QUERY ->
                data.getUrl() != null
                        ? UriComponentsBuilder.fromUri(data.getUrl())
                                .build()
                                .getQueryParams()
                                .getFirst(hashKey.name())
                        : null;
        };
        return value == null || value.isEmpty() ? null : value;
    }

    static String key(ServiceInstance instance) {
        return SessionRegistry.instanceKey(instance.getHost(), instance.getPort());
    }
}
