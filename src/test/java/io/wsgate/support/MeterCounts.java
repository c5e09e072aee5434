package io.wsgate.support;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

/** Reads a counter by name and tags; a counter not registered yet counts zero. */
public final class MeterCounts {

    private MeterCounts() {}

    public static double count(MeterRegistry registry, String name, String... tags) {
        Counter counter = Search.in(registry).name(name).tags(tags).counter();
        return counter != null ? counter.count() : 0;
    }
}
