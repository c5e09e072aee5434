package io.wsgate.support;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.wsgate.metrics.WsgateMeterNames;

/** Reads wsgate's meters by name and tags; a meter not registered yet counts zero. */
public final class MeterCounts {

    private MeterCounts() {}

    public static double count(MeterRegistry registry, String name, String... tags) {
        Counter counter = Search.in(registry).name(name).tags(tags).counter();
        return counter != null ? counter.count() : 0;
    }

    /** The route's open sessions, from the {@link WsgateMeterNames#SESSIONS_ACTIVE} gauge. */
    public static double activeSessions(MeterRegistry registry, String route) {
        Gauge gauge = registry.find(WsgateMeterNames.SESSIONS_ACTIVE)
                .tag("route", route)
                .gauge();
        return gauge != null ? gauge.value() : 0;
    }

    /** Sessions of the route that ended with {@code closeCode} (as tagged: 1000, 4xxx...), ended by {@code closedBy}. */
    public static double sessionsClosed(MeterRegistry registry, String route, String closeCode, String closedBy) {
        return count(
                registry,
                WsgateMeterNames.SESSIONS_CLOSED,
                "route",
                route,
                "close.code",
                closeCode,
                "closed.by",
                closedBy);
    }

    /** Sessions of the route the gateway ended for {@code reason}. */
    public static double gatewayCloses(MeterRegistry registry, String route, String reason) {
        return count(registry, WsgateMeterNames.GATEWAY_CLOSES, "route", route, "reason", reason);
    }
}
