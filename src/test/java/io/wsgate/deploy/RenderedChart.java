package io.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The manifests {@code helm template} renders from {@code helm/wsgate}, parsed for assertions. */
final class RenderedChart {

    static final Path CHART = Path.of("helm", "wsgate");

    static final String RELEASE = "demo";

    private final List<Map<String, Object>> manifests;

    private RenderedChart(List<Map<String, Object>> manifests) {
        this.manifests = manifests;
    }

    /** Renders with the chart's defaults and whatever {@code values} sets or adds. */
    static RenderedChart render(UnaryOperator<TemplateCommand> values) {
        return render(CHART, values);
    }

    /** Renders the chart in {@code chart} (a modified copy, for what {@code helm template} cannot set). */
    static RenderedChart render(Path chart, UnaryOperator<TemplateCommand> values) {
        String yaml = values.apply(new Helm(chart).template().withName(RELEASE).withNamespace("wsgate"))
                .call();
        List<Map<String, Object>> manifests = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (document != null) {
                manifests.add(asMap(document));
            }
        }
        return new RenderedChart(manifests);
    }

    /**
     * Copies the chart to {@code copy} with {@code text} replaced by {@code replacement} in its files, for what
     * helm-java cannot render or set (hooks, API versions); {@code files} is how many files must contain it.
     */
    static Path copyReplacing(Path copy, String text, String replacement, int files) throws IOException {
        int replaced = 0;
        try (Stream<Path> all = Files.walk(CHART)) {
            for (Path file : all.filter(Files::isRegularFile).toList()) {
                Path target = copy.resolve(CHART.relativize(file).toString());
                Files.createDirectories(target.getParent());
                String content = Files.readString(file);
                if (content.contains(text)) {
                    replaced++;
                    content = content.replace(text, replacement);
                }
                Files.writeString(target, content);
            }
        }
        assertThat(replaced).as("chart files containing %s", text).isEqualTo(files);
        return copy;
    }

    static RenderedChart render() {
        return render(UnaryOperator.identity());
    }

    Optional<Map<String, Object>> find(String kind, String name) {
        return this.manifests.stream()
                .filter(m -> kind.equals(m.get("kind")) && name.equals(at(m, "metadata.name")))
                .findFirst();
    }

    Map<String, Object> get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + kinds()));
    }

    List<String> kinds() {
        return this.manifests.stream()
                .map(m -> m.get("kind") + "/" + at(m, "metadata.name"))
                .toList();
    }

    /** The gateway's application.yml from the rendered ConfigMap. */
    String applicationYaml() {
        return (String) at(get("ConfigMap", "demo-wsgate"), "data.application\\.yml");
    }

    /** The gateway Deployment's first (only) container. */
    Map<String, Object> gatewayContainer() {
        return asMap(list(get("Deployment", "demo-wsgate"), "spec.template.spec.containers")
                .get(0));
    }

    /**
     * A value at a dotted path; {@code \.} escapes a dot inside a key, a number indexes a list.
     */
    static Object at(Object root, String path) {
        Object current = root;
        for (String key : path.split("(?<!\\\\)\\.")) {
            key = key.replace("\\.", ".");
            if (current instanceof List<?> items) {
                current = items.get(Integer.parseInt(key));
            } else if (current instanceof Map<?, ?> map) {
                current = map.get(key);
            } else {
                return null;
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object root, String path) {
        Object value = at(root, path);
        assertThat(value).as(path).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }
}
