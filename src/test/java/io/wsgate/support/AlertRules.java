package io.wsgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The alerting rules of {@code deploy/prometheus/alerts.yml}, parsed, and the series their expressions select. */
public final class AlertRules {

    public static final Path FILE = Path.of("deploy/prometheus/alerts.yml");

    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{[^}]*})?\\s*(\\()?");

    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");

    private static final Set<String> OPERATORS = Set.of("and", "or", "unless", "bool", "offset");

    private AlertRules() {}

    /** Every rule of every group, each a map with alert, expr, for, labels, annotations. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> alerts() {
        Map<String, Object> file;
        try {
            file = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(FILE));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Object group : (List<Object>) file.get("groups")) {
            alerts.addAll((List<Map<String, Object>>) ((Map<String, Object>) group).get("rules"));
        }
        return alerts;
    }

    /**
     * Every metric name the rules' expressions select, with the label names their matchers use: names not followed
     * by {@code (} (functions, aggregations) once strings, ranges and grouping clauses are taken out.
     */
    public static Map<String, Set<String>> selectors() {
        Map<String, Set<String>> selectors = new LinkedHashMap<>();
        for (Map<String, Object> alert : alerts()) {
            String expr = ((String) alert.get("expr"))
                    .replaceAll("\"[^\"]*\"", "\"\"")
                    .replaceAll("\\[[^]]*]", "");
            Matcher selector = SELECTOR.matcher(GROUPING.matcher(expr).replaceAll(" "));
            while (selector.find()) {
                if (selector.group(3) != null || OPERATORS.contains(selector.group(1))) {
                    continue;
                }
                Set<String> labels = selectors.computeIfAbsent(selector.group(1), k -> new LinkedHashSet<>());
                if (selector.group(2) != null) {
                    Matcher label = MATCHER.matcher(selector.group(2));
                    while (label.find()) {
                        labels.add(label.group(1));
                    }
                }
            }
        }
        return selectors;
    }
}
