package io.wsgate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package map of docs/architecture.md, checked against the code: each feature package uses only the packages
 * its {@code package-info.java} names, so the dependencies stay one-way.
 */
class PackageDependenciesTests {

    private static final Path MAIN = Path.of("src/main/java/io/wsgate");

    private static final Pattern REFERENCE = Pattern.compile("io\\.wsgate\\.([a-z]+)\\.[A-Z]");

    /** What each package may use; the same lists as the package-info files and docs/architecture.md. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("vocabulary", Set.of()),
            Map.entry("config", Set.of("vocabulary")),
            Map.entry("metrics", Set.of("vocabulary")),
            Map.entry("echo", Set.of("config")),
            Map.entry("health", Set.of("config", "metrics")),
            Map.entry("reload", Set.of("config", "metrics", "session")),
            Map.entry("session", Set.of("config", "metrics", "vocabulary")),
            Map.entry("pipeline", Set.of("config", "metrics", "session", "vocabulary")),
            Map.entry("proxy", Set.of("config", "metrics", "pipeline", "session", "vocabulary")),
            Map.entry("admission", Set.of("config", "metrics", "proxy", "session", "vocabulary")),
            Map.entry("cluster", Set.of("admission", "config", "metrics")),
            Map.entry("auth", Set.of("config", "metrics", "proxy", "session", "vocabulary")),
            Map.entry("drain", Set.of("config", "metrics", "proxy", "session", "vocabulary")),
            Map.entry("admin", Set.of("config", "metrics", "session", "vocabulary")),
            Map.entry("balancing", Set.of("config", "session")));

    @Test
    void eachPackageUsesOnlyWhatItsPackageInfoNames() throws IOException {
        Map<String, Set<String>> used = usedPackages();
        assertThat(used.keySet()).as("feature packages").isEqualTo(ALLOWED.keySet());
        used.forEach(
                (pkg, uses) -> assertThat(uses).as("packages that %s uses", pkg).isSubsetOf(ALLOWED.get(pkg)));
    }

    @Test
    void everyPackageSaysWhatItOwnsAndUses() throws IOException {
        for (String pkg : ALLOWED.keySet()) {
            Path info = MAIN.resolve(pkg).resolve("package-info.java");
            assertThat(info).as("package-info of %s", pkg).exists();
            String text = Files.readString(info);
            for (String uses : ALLOWED.get(pkg)) {
                assertThat(text).as("package-info of %s names %s", pkg, uses).contains(uses);
            }
        }
    }

    private static Map<String, Set<String>> usedPackages() throws IOException {
        Map<String, Set<String>> used = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = MAIN.relativize(file);
                if (relative.getNameCount() < 2
                        || relative.getFileName().toString().equals("package-info.java")) {
                    continue;
                }
                String pkg = relative.getName(0).toString();
                Set<String> uses = used.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher matcher = REFERENCE.matcher(Files.readString(file));
                while (matcher.find()) {
                    if (!matcher.group(1).equals(pkg)) {
                        uses.add(matcher.group(1));
                    }
                }
            }
        }
        return used;
    }
}
