package io.wsgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Debian's headless Chromium ({@code /usr/bin/chromium}), driven over the DevTools protocol with the JDK's WebSocket
 * client: a real browser for pages served by the gateway, with real mouse and keyboard input and screenshots. Each
 * instance has a fresh profile of its own; {@link #close()} ends the browser and every process it started. (No
 * Selenium: it would add a driver process and a large dependency tree for the few commands needed here.)
 */
public final class HeadlessChromium implements AutoCloseable {

    private static final Path EXECUTABLE = Path.of("/usr/bin/chromium");

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Process process;

    private final Path profile;

    private final WebSocket devtools;

    private final AtomicInteger ids = new AtomicInteger();

    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, Path profile, WebSocket devtools) {
        this.process = process;
        this.profile = profile;
        this.devtools = devtools;
    }

    /**
     * Skips the calling test when Debian's {@code chromium} package is not installed, or fails it if
     * {@code WSGATE_REQUIRE_BROWSER} is set (as in CI).
     */
    public static void assumeInstalled() {
        boolean installed = Files.isExecutable(EXECUTABLE);
        String required = System.getenv("WSGATE_REQUIRE_BROWSER");
        if (!installed && required != null && !required.isEmpty()) {
            throw new AssertionError(EXECUTABLE + " not installed but WSGATE_REQUIRE_BROWSER is set");
        }
        Assumptions.assumeTrue(installed, "Chromium is not installed (apt-get install chromium): skipped");
    }

    /**
     * Starts Chromium with a window of {@code width} x {@code height} and a new empty profile in {@code profile}
     * (deleted first if it exists). The flags keep it off the network: this machine's closed network refuses
     * Chromium's background connections.
     */
    public static HeadlessChromium start(Path profile, int width, int height) {
        Process process = null;
        try {
            deleteTree(profile);
            Files.createDirectories(profile);
            process = new ProcessBuilder(List.of(
                            EXECUTABLE.toString(),
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--disable-dev-shm-usage",
                            "--hide-scrollbars",
                            "--window-size=" + width + "," + height,
                            "--user-data-dir=" + profile.toAbsolutePath(),
                            "--remote-debugging-address=127.0.0.1",
                            "--remote-debugging-port=0",
                            "about:blank"))
                    .redirectErrorStream(true)
                    .redirectOutput(profile.resolveSibling(profile.getFileName() + ".log")
                            .toFile())
                    .start();
            int port = devToolsPort(process, profile);
            JsonNode targets = JSON.readTree(HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                                    .timeout(TIMEOUT)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            String page = null;
            for (JsonNode target : targets) {
                if (target.path("type").asString().equals("page")) {
                    page = target.path("webSocketDebuggerUrl").asString();
                }
            }
            if (page == null) {
                throw new IllegalStateException("Chromium shows no page target: " + targets);
            }
            Listener listener = new Listener();
            WebSocket devtools = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .connectTimeout(TIMEOUT)
                    .buildAsync(URI.create(page), listener)
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            HeadlessChromium chromium = new HeadlessChromium(process, profile, devtools);
            listener.chromium = chromium;
            // The window's size includes the browser's frame; the page gets exactly width x height this way.
            chromium.send(
                    "Emulation.setDeviceMetricsOverride",
                    Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
            return chromium;
        } catch (Exception ex) {
            if (process != null) {
                end(process);
            }
            throw new IllegalStateException("Chromium did not start", ex);
        }
    }

    /** Chromium writes the port it chose to {@code DevToolsActivePort} in the profile once it listens. */
    private static int devToolsPort(Process process, Path profile) throws IOException {
        Path file = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                    return Integer.parseInt(lines.get(0).trim());
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("Chromium exited with " + process.exitValue());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new IllegalStateException("Chromium wrote no DevToolsActivePort within " + TIMEOUT);
    }

    /** Loads {@code url} afresh (the page before it, and its connections, gone) and waits until it is complete. */
    public void open(String url) {
        // A mark on the old document tells it from the new one, whatever the URLs.
        evaluate("window.wsgateOldDocument = true");
        send("Page.navigate", Map.of("url", url));
        waitUntil("window.wsgateOldDocument === undefined && document.readyState === 'complete'", TIMEOUT);
    }

    /** The value of a JavaScript expression in the page (promises awaited), as JSON. */
    public JsonNode evaluate(String expression) {
        JsonNode result =
                send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("the page threw on " + expression + ": " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** Waits until a JavaScript expression is true in the page, at most {@code timeout}. */
    public void waitUntil(String condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!evaluate("!!(" + condition + ")").asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + timeout + ": " + condition);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** A left click in the middle of the element {@code selector} finds, as a mouse would. */
    public void click(String selector) {
        JsonNode box = evaluate("(() => { const r = document.querySelector(" + JSON.writeValueAsString(selector)
                + ").getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
        for (String type : List.of("mousePressed", "mouseReleased")) {
            send(
                    "Input.dispatchMouseEvent",
                    Map.of(
                            "type",
                            type,
                            "x",
                            box.get("x").asDouble(),
                            "y",
                            box.get("y").asDouble(),
                            "button",
                            "left",
                            "clickCount",
                            1));
        }
    }

    /** Replaces the text of the input {@code selector} finds by typing {@code text} into it. */
    public void type(String selector, String text) {
        click(selector);
        evaluate("document.querySelector(" + JSON.writeValueAsString(selector) + ").select()");
        if (text.isEmpty()) {
            send("Input.dispatchKeyEvent", Map.of("type", "keyDown", "key", "Backspace", "code", "Backspace"));
            send("Input.dispatchKeyEvent", Map.of("type", "keyUp", "key", "Backspace", "code", "Backspace"));
        } else {
            send("Input.insertText", Map.of("text", text));
        }
    }

    /** The visible page as a PNG file. */
    public void screenshot(Path file) {
        JsonNode result = send("Page.captureScreenshot", Map.of("format", "png"));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, Base64.getDecoder().decode(result.get("data").asString()));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private JsonNode send(String method, Map<String, Object> params) {
        int id = this.ids.incrementAndGet();
        ObjectNode command = JSON.createObjectNode();
        command.put("id", id);
        command.put("method", method);
        command.set("params", JSON.valueToTree(params));
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        this.pending.put(id, answer);
        this.devtools.sendText(JSON.writeValueAsString(command), true);
        JsonNode reply = answer.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        if (reply.has("error")) {
            throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return reply.path("result");
    }

    private void received(String message) {
        JsonNode json = JSON.readTree(message);
        if (json.has("id")) {
            CompletableFuture<JsonNode> answer =
                    this.pending.remove(json.get("id").asInt());
            if (answer != null) {
                answer.complete(json);
            }
        }
    }

    @Override
    public void close() {
        this.devtools.abort();
        end(this.process);
    }

    /** The browser and every process it started (renderers, zygotes, utilities), bounded. */
    private static void end(Process process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : all) {
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception ex) {
                handle.destroyForcibly();
            }
        }
    }

    /** The profile directory of this instance. */
    public Path profile() {
        return this.profile;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static final class Listener implements WebSocket.Listener {

        private final StringBuilder text = new StringBuilder();

        private volatile HeadlessChromium chromium;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            this.text.append(data);
            if (last) {
                String message = this.text.toString();
                this.text.setLength(0);
                if (this.chromium != null) {
                    this.chromium.received(message);
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
