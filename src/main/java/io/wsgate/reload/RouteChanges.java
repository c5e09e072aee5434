package io.wsgate.reload;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.cloud.gateway.route.RouteDefinition;

/** What a new set of route definitions changes, by route id. */
record RouteChanges(List<String> added, List<String> removed, List<String> changed) {

    static RouteChanges between(List<RouteDefinition> before, List<RouteDefinition> after) {
        Map<String, RouteDefinition> old = byId(before);
        Map<String, RouteDefinition> current = byId(after);
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        current.forEach((id, route) -> {
            if (!old.containsKey(id)) {
                added.add(id);
            } else if (!Objects.equals(old.get(id), route)) {
                changed.add(id);
            }
        });
        List<String> removed =
                old.keySet().stream().filter(id -> !current.containsKey(id)).toList();
        return new RouteChanges(List.copyOf(added), removed, List.copyOf(changed));
    }

    private static Map<String, RouteDefinition> byId(List<RouteDefinition> routes) {
        Map<String, RouteDefinition> byId = new LinkedHashMap<>();
        routes.forEach(route -> byId.put(route.getId(), route));
        return byId;
    }

    boolean isEmpty() {
        return this.added.isEmpty() && this.removed.isEmpty() && this.changed.isEmpty();
    }

    @Override
    public String toString() {
        return "added " + this.added + ", removed " + this.removed + ", changed " + this.changed;
    }
}
