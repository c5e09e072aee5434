package io.wsgate.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

/** The consistent hash of {@code lb-policy: hash}: a changed instance list moves only its own share of keys. */
class InstanceChoiceTests {

    private static final List<ServiceInstance> THREE =
            List.of(instance("a", 8001), instance("b", 8002), instance("c", 8003));

    @Test
    void anInstanceThatLeavesMovesOnlyItsOwnKeys() {
        Map<String, String> before = choices(THREE);
        Map<String, String> after = choices(List.of(THREE.get(0), THREE.get(2)));

        before.forEach((key, instance) -> {
            if (!instance.equals("10.0.0.2:8002")) {
                assertThat(after.get(key)).as("key %s", key).isEqualTo(instance);
            }
        });
        // Each instance holds about a third of 3,000 keys.
        assertThat(before.values().stream().filter("10.0.0.2:8002"::equals).count())
                .isBetween(800L, 1200L);
    }

    @Test
    void anInstanceThatJoinsTakesKeysOnlyFromTheOthers() {
        Map<String, String> before = choices(THREE);
        List<ServiceInstance> four = new java.util.ArrayList<>(THREE);
        four.add(instance("d", 8004));
        Map<String, String> after = choices(four);

        long moved = before.keySet().stream()
                .filter(key -> !before.get(key).equals(after.get(key)))
                .count();
        assertThat(after.entrySet().stream()
                        .filter(entry -> !entry.getValue().equals(before.get(entry.getKey())))
                        .map(Map.Entry::getValue))
                .allMatch("10.0.0.4:8004"::equals);
        // About a quarter of the keys move, all to the new instance.
        assertThat(moved).isBetween(550L, 950L);
    }

    private static Map<String, String> choices(List<ServiceInstance> instances) {
        Map<String, String> chosen = new HashMap<>();
        IntStream.range(0, 3000)
                .mapToObj(i -> "user-" + i)
                .forEach(key -> chosen.put(key, InstanceChoice.key(InstanceChoice.highestScore(instances, key))));
        return chosen;
    }

    private static ServiceInstance instance(String id, int port) {
        return new DefaultServiceInstance(id, "pool", "10.0.0." + (port - 8000), port, false);
    }
}
