package io.wsgate.reload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.config.OpenSessionsPolicy;
import io.wsgate.config.RouteSettingsParser;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.session.GatewayClose;
import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.springframework.cloud.gateway.route.RouteDefinition;
import reactor.core.scheduler.Scheduler;

/**
 * What a reload does to the sessions open on the routes it removes or points at another backend: keep them, drain
 * them (1001 spread evenly over the drain window) or close them (1001 at once), as {@code wsgate.reload.*} or the
 * route's own metadata says. Each such change is described in the reload's log line and counted in
 * {@code wsgate.routes.reload.sessions}.
 */
class OpenSessionsOnReload {

    private final SessionRegistry sessions;

    private final RouteSettingsParser parser;

    private final Duration drainWindow;

    private final Scheduler scheduler;

    private final MeterRegistry meters;

    OpenSessionsOnReload(
            SessionRegistry sessions,
            RouteSettingsParser parser,
            Duration drainWindow,
            Scheduler scheduler,
            MeterRegistry meters) {
        this.sessions = sessions;
        this.parser = parser;
        this.drainWindow = drainWindow;
        this.scheduler = scheduler;
        this.meters = meters;
    }

    /**
     * Applies the policies to the sessions open now on the routes {@code before} has and {@code after} removes or
     * re-points; returns what it did, one entry per touched route, for the reload's log line.
     */
    List<String> apply(List<RouteDefinition> before, List<RouteDefinition> after) {
        Map<String, RouteDefinition> current =
                after.stream().collect(Collectors.toMap(RouteDefinition::getId, route -> route, (a, b) -> b));
        Map<String, List<ProxiedSession>> open =
                this.sessions.snapshot().stream().collect(Collectors.groupingBy(ProxiedSession::routeId));
        List<String> done = new ArrayList<>();
        for (RouteDefinition old : before) {
            List<ProxiedSession> ofRoute = open.getOrDefault(old.getId(), List.of());
            RouteDefinition now = current.get(old.getId());
            if (ofRoute.isEmpty() || (now != null && Objects.equals(now.getUri(), old.getUri()))) {
                continue;
            }
            boolean removed = now == null;
            OpenSessionsPolicy policy = removed
                    ? this.parser.parse(old.getId(), old.getMetadata()).onRouteRemoved()
                    : this.parser.parse(now.getId(), now.getMetadata()).onUriChanged();
            String change = removed ? "route-removed" : "uri-changed";
            act(ofRoute, policy, removed ? GatewayClose::routeRemoved : GatewayClose::uriChanged);
            count(change, policy, ofRoute.size());
            done.add(old.getId() + " " + (removed ? "removed" : "uri changed") + ": " + ofRoute.size() + " sessions "
                    + describe(policy));
        }
        return done;
    }

    private void act(List<ProxiedSession> ofRoute, OpenSessionsPolicy policy, Supplier<GatewayClose> close) {
        if (policy == OpenSessionsPolicy.KEEP) {
            return;
        }
        long step = policy == OpenSessionsPolicy.DRAIN ? this.drainWindow.toNanos() / ofRoute.size() : 0;
        for (int i = 0; i < ofRoute.size(); i++) {
            ProxiedSession session = ofRoute.get(i);
            this.scheduler.schedule(() -> session.closeByGateway(close.get()), step * i, TimeUnit.NANOSECONDS);
        }
    }

    private String describe(OpenSessionsPolicy policy) {
        return switch (policy) {
            case KEEP -> "kept on their backend";
            case DRAIN -> "drained over " + this.drainWindow.toMillis() + "ms";
            case CLOSE -> "closed";
        };
    }

    private void count(String change, OpenSessionsPolicy policy, int sessions) {
        Counter.builder(WsgateMeterNames.ROUTES_RELOAD_SESSIONS)
                .description("Sessions open on routes a reload removed or re-pointed, by what was done to them")
                .tags(
                        WsgateMeterNames.TAG_CHANGE,
                        change,
                        WsgateMeterNames.TAG_ACTION,
                        policy.name().toLowerCase(Locale.ROOT))
                .register(this.meters)
                .increment(sessions);
    }
}
