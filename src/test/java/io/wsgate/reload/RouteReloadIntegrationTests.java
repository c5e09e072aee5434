package io.wsgate.reload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.FreePorts;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.ManagementPort;
import io.wsgate.support.RawHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Hot route reload on a real gateway: the route file lives in a directory laid out like a mounted Kubernetes
 * ConfigMap ({@code application.yml -> ..data/application.yml}, {@code ..data -> ..<version>}) and is edited the
 * way the kubelet edits it (a new version directory, then an atomic swap of the {@code ..data} link) or in place.
 * Real WebSocket sessions and handshakes check what is routed after each edit.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "wsgate.reload.interval=200ms",
            "wsgate.reload.quiet-period=300ms",
            "wsgate.reload.drain-window=1s",
            "wsgate.health.interval=500ms"
        })
@ExtendWith(OutputCaptureExtension.class)
class RouteReloadIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final AtomicInteger versions = new AtomicInteger();

    private static EchoBackend echo;

    private static Path configDir;

    private static int deadPort;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @LocalManagementPort
    int managementPort;

    @Autowired
    GatewayProperties gatewayProperties;

    @Autowired
    RouteLocator routeLocator;

    @Autowired
    ApplicationContext context;

    @DynamicPropertySource
    static void routeFile(DynamicPropertyRegistry registry) throws IOException {
        echo = EchoBackend.start();
        deadPort = FreePorts.next();
        configDir = Files.createTempDirectory("wsgate-config");
        publish(routes(route("stay", "/stay/**")));
        Files.createSymbolicLink(configDir.resolve("application.yml"), Path.of("..data", "application.yml"));
        registry.add(
                "wsgate.reload.path", () -> configDir.resolve("application.yml").toString());
    }

    @AfterAll
    static void cleanUp() throws IOException {
        echo.close();
        try (Stream<Path> files = Files.walk(configDir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    @BeforeEach
    void onlyTheStayRoute() {
        publish(routes(route("stay", "/stay/**")));
        // Applied, not just served: /stay/ answers under the previous test's routes too.
        await().atMost(TIMEOUT)
                .untilAsserted(() ->
                        assertThat(routesInForce()).extracting(Route::getId).containsExactly("stay"));
        awaitStatus("/stay/", 101);
    }

    @Test
    void fileRoutesReplaceTheApplicationRoutesAtStartup() {
        // The jar's own application.yml declares /ws/**; the file has only /stay/**.
        assertThat(status("/ws/")).isEqualTo(404);
        assertThat(JdkWebSocketClient.replyTo(uri("/stay/"), "still here")).isEqualTo("STILL HERE");
    }

    @Test
    void addedRouteServesWithinSecondsWhileSessionOnUnchangedRouteKeepsEchoing(CapturedOutput output) {
        JdkWebSocketClient session = JdkWebSocketClient.connect(uri("/stay/"));
        session.sendText("before");
        assertThat(session.nextText()).isEqualTo("BEFORE");
        double applied = reloads("success");

        publish(routes(route("stay", "/stay/**"), route("added", "/added/**")));

        awaitStatus("/added/", 101);
        assertThat(JdkWebSocketClient.replyTo(uri("/added/"), "new route")).isEqualTo("NEW ROUTE");
        session.sendText("after");
        assertThat(session.nextText()).isEqualTo("AFTER");
        assertThat(reloads("success")).isGreaterThan(applied);
        assertThat(output).contains("Routes reloaded from").contains("added [added], removed [], changed []");
        assertThat(session.close(1000, "done")).isEqualTo(new JdkWebSocketClient.Close(1000, "done"));
    }

    @Test
    void changedRouteTakesItsNewPathAndRemovedRouteStopsServing() {
        publish(routes(route("stay", "/stay/**"), route("moving", "/old/**"), route("leaving", "/leaving/**")));
        awaitStatus("/old/", 101);
        awaitStatus("/leaving/", 101);
        JdkWebSocketClient onRemovedRoute = JdkWebSocketClient.connect(uri("/leaving/"));

        publish(routes(route("stay", "/stay/**"), route("moving", "/new/**")));

        awaitStatus("/new/", 101);
        assertThat(status("/old/")).isEqualTo(404);
        assertThat(status("/leaving/")).isEqualTo(404);
        // Sessions opened before the reload keep their backend, even on a removed route.
        onRemovedRoute.sendText("open");
        assertThat(onRemovedRoute.nextText()).isEqualTo("OPEN");
        onRemovedRoute.close(1000, "");
    }

    @Test
    void removedRouteThatSaysDrainClosesItsSessionsOverTheWindowAndOthersStay(CapturedOutput output) {
        publish(routes(
                route("stay", "/stay/**"), withMetadata(route("leaving", "/leaving/**"), "on-route-removed: drain")));
        awaitStatus("/leaving/", 101);
        List<JdkWebSocketClient> leaving = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JdkWebSocketClient session = JdkWebSocketClient.connect(uri("/leaving/"));
            session.sendText("before " + i);
            assertThat(session.nextText()).isEqualTo("BEFORE " + i);
            leaving.add(session);
        }
        JdkWebSocketClient staying = JdkWebSocketClient.connect(uri("/stay/"));
        double drained = reloadSessions("route-removed", "drain");

        publish(routes(route("stay", "/stay/**")));

        for (JdkWebSocketClient session : leaving) {
            assertThat(session.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1001, "route removed"));
        }
        staying.sendText("still routed");
        assertThat(staying.nextText()).isEqualTo("STILL ROUTED");
        assertThat(output).contains("open sessions: leaving removed: 3 sessions drained over 1000ms");
        assertThat(reloadSessions("route-removed", "drain")).isEqualTo(drained + 3);
        staying.close(1000, "");
    }

    @Test
    void changedUriThatSaysCloseClosesItsSessionsAtOnce(CapturedOutput output) {
        publish(routes(route("stay", "/stay/**"), route("moving", "/moving/**")));
        awaitStatus("/moving/", 101);
        JdkWebSocketClient moving = JdkWebSocketClient.connect(uri("/moving/"));
        moving.sendText("before");
        assertThat(moving.nextText()).isEqualTo("BEFORE");
        // Its path changes with the uri: sessions are judged by the uri alone.
        JdkWebSocketClient staying = JdkWebSocketClient.connect(uri("/stay/"));

        publish(routes(
                withMetadata(route("stay", "/stay2/**"), "on-uri-changed: close"),
                withMetadata(deadRoute("moving", "/moving/**"), "on-uri-changed: close")));

        assertThat(moving.awaitClose()).isEqualTo(new JdkWebSocketClient.Close(1001, "route changed"));
        awaitStatus("/moving/", 502);
        staying.sendText("same uri");
        assertThat(staying.nextText()).isEqualTo("SAME URI");
        assertThat(output).contains("open sessions: moving uri changed: 1 sessions closed");
        staying.close(1000, "");
    }

    @Test
    void openSessionsPolicyThatIsNotKeepDrainOrCloseRejectsTheFile(CapturedOutput output) {
        publishRejected(routes(withMetadata(route("stay", "/stay/**"), "on-route-removed: later")));

        assertThat(output).contains("on-route-removed").contains("later");
        assertThat(status("/stay/")).isEqualTo(101);
    }

    @Test
    void fileVersionReplacesTheRoutesInForceAndLeavesTheBoundConfigurationAlone() {
        publish(routes(route("stay", "/stay/**"), route("moving", "/moving/**"), route("leaving", "/leaving/**")));
        awaitStatus("/moving/", 101);
        awaitStatus("/leaving/", 101);

        publish(routes(route("stay", "/stay/**"), deadRoute("moving", "/moving/**")));

        // The changed route's new uri applies (nobody listens there: 502); the removed route matches nothing.
        awaitStatus("/moving/", 502);
        assertThat(status("/leaving/")).isEqualTo(404);
        // Each route once: the file's set replaced the configured one (the jar's echo route), nothing was added.
        assertThat(routesInForce()).extracting(Route::getId).containsExactly("stay", "moving");
        String actuatorRoutes = new ManagementPort(this.managementPort).get("/actuator/gateway/routes");
        assertThat(Pattern.compile("\"route_id\":\"([^\"]+)\"")
                        .matcher(actuatorRoutes)
                        .results()
                        .map(match -> match.group(1)))
                .containsExactly("stay", "moving");
        // The configuration Boot bound from the jar's application.yml is untouched: the reload went through
        // wsgate's RouteDefinitionRepository, which stands in for Spring Cloud Gateway's own two sources.
        assertThat(this.gatewayProperties.getRoutes())
                .extracting(RouteDefinition::getId)
                .containsExactly("echo");
        assertThat(this.context.getBeansOfType(RouteDefinitionLocator.class).values())
                .filteredOn(locator -> !locator.getClass().getName().contains("Composite"))
                .singleElement()
                .isInstanceOf(RouteFileRepository.class);
    }

    @Test
    void reorderedRoutesChangeWhichRouteMatchesFirst(CapturedOutput output) {
        // Both match /both/...; of routes with equal order, the first listed wins.
        publish(routes(route("stay", "/stay/**"), route("first", "/both/**"), deadRoute("second", "/both/**")));
        awaitStatus("/both/x", 101);
        assertThat(JdkWebSocketClient.replyTo(uri("/both/x"), "which")).isEqualTo("WHICH");

        publish(routes(route("stay", "/stay/**"), deadRoute("second", "/both/**"), route("first", "/both/**")));

        awaitStatus("/both/x", 502);
        assertThat(output).contains("reordered; 3 routes in force");
    }

    @Test
    void invalidYamlIsRejectedWithALogLineAndTheRunningRoutesStay(CapturedOutput output) throws IOException {
        JdkWebSocketClient session = JdkWebSocketClient.connect(uri("/stay/"));
        double rejected = reloads("rejected");

        // In place, through the links, as an editor would.
        Files.writeString(configDir.resolve("application.yml"), "spring:\n  cloud: [unclosed\n");

        await().atMost(TIMEOUT).until(() -> reloads("rejected") > rejected);
        assertThat(output).contains("rejected, keeping the 1 running routes: not valid YAML");
        assertStayServesAndRelays(session);
    }

    @Test
    void routeThatFailsValidationIsRejectedAndNothingOfTheFileApplies(CapturedOutput output) {
        publishRejected(routes(
                route("stay", "/stay/**"),
                route("good", "/good/**"),
                route("typo", "/typo/**").replace("Path=", "Pathh=")));

        assertThat(output).contains("route 'typo': Unable to find RoutePredicateFactory with name Pathh");
        assertThat(status("/good/")).isEqualTo(404);
        assertThat(status("/stay/")).isEqualTo(101);
    }

    @Test
    void metadataValueThatIsNotADurationRejectsTheFileAndTheRouteKeepsServing(CapturedOutput output) {
        JdkWebSocketClient session = JdkWebSocketClient.connect(uri("/stay/"));
        publishRejected(routes(withMetadata(route("stay", "/stay/**"), "idle-timeout: whenever")));

        assertThat(output.getOut())
                .contains("rejected, keeping the 1 running routes: route 'stay': metadata idle-timeout: 'whenever'"
                        + " is not a duration such as 500ms or 5m");
        assertThat(routesInForce().get(0).getMetadata()).isEmpty();
        // New handshakes on the route still get 101 (before the fix: 500).
        assertStayServesAndRelays(session);
    }

    @Test
    void misspelledBooleanRejectsTheFileInsteadOfReadingAsFalse(CapturedOutput output) {
        publishRejected(routes(
                route("stay", "/stay/**"), withMetadata(route("deflated", "/deflated/**"), "compression: ture")));

        assertThat(output.getOut()).contains("route 'deflated': metadata compression: 'ture' is not true or false");
        assertThat(status("/deflated/")).isEqualTo(404);
    }

    @Test
    void unknownMetadataKeyIsReportedAndTheFileApplies(CapturedOutput output) {
        publish(routes(route("stay", "/stay/**"), withMetadata(route("typo", "/typo/**"), "max-sesions: 1")));

        awaitStatus("/typo/", 101);
        assertThat(output.getOut())
                .contains("Route typo: unknown metadata key 'max-sesions' (did you mean 'max-sessions'?)");
    }

    @Test
    void routeWithoutUriIsRejected(CapturedOutput output) {
        publishRejected(
                routes(route("stay", "/stay/**"), route("no-uri", "/no-uri/**").replaceAll("(?m)^ +uri: .*\n", "")));

        assertThat(output).contains("route 'no-uri': uri can not be null");
        assertThat(status("/no-uri/")).isEqualTo(404);
    }

    @Test
    void routeHealthFollowsRoutesAddedAndRemovedByAReload() {
        publish(routes(route("stay", "/stay/**"), route("probed", "/probed/**")));

        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(routeUpGauge("probed"))
                        .isNotNull()
                        .satisfies(gauge -> assertThat(gauge.value()).isEqualTo(1.0)));

        publish(routes(route("stay", "/stay/**")));

        // Gone, not stuck at 0 (which would read as a backend outage).
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(routeUpGauge("probed")).isNull());
        assertThat(routeUpGauge("stay")).isNotNull();
    }

    /** The stay route answers new handshakes and echoes, and {@code session}, opened on it before, still relays. */
    private void assertStayServesAndRelays(JdkWebSocketClient session) {
        assertThat(status("/stay/")).isEqualTo(101);
        assertThat(JdkWebSocketClient.replyTo(uri("/stay/"), "new session")).isEqualTo("NEW SESSION");
        session.sendText("survived");
        assertThat(session.nextText()).isEqualTo("SURVIVED");
        session.close(1000, "");
    }

    /** The routes the gateway matches requests against, in order. */
    private List<Route> routesInForce() {
        return this.routeLocator.getRoutes().collectList().block(TIMEOUT);
    }

    private Gauge routeUpGauge(String route) {
        return this.registry
                .find(WsgateMeterNames.ROUTE_UP)
                .tag(WsgateMeterNames.TAG_ROUTE, route)
                .gauge();
    }

    private double reloadSessions(String change, String action) {
        Counter counter = this.registry
                .find(WsgateMeterNames.ROUTES_RELOAD_SESSIONS)
                .tags(WsgateMeterNames.TAG_CHANGE, change, WsgateMeterNames.TAG_ACTION, action)
                .counter();
        return counter != null ? counter.count() : 0;
    }

    private double reloads(String outcome) {
        return this.registry
                .get(WsgateMeterNames.ROUTES_RELOADS)
                .tag(WsgateMeterNames.TAG_OUTCOME, outcome)
                .counter()
                .count();
    }

    private URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + this.port + path);
    }

    private int status(String path) {
        try {
            return RawHttp.exchange(this.port, RawHttp.upgradeRequest(path)).status();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private void awaitStatus(String path, int expected) {
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status(path)).isEqualTo(expected));
    }

    private static String route(String id, String path) {
        return """
                            - id: %s
                              uri: ws://127.0.0.1:%d
                              predicates:
                                - Path=%s
                              filters:
                                - StripPrefix=1
                """.formatted(id, echo.port(), path);
    }

    /** {@code route} with one metadata entry, {@code key: value}. */
    private static String withMetadata(String route, String entry) {
        return route + "              metadata:\n                " + entry + "\n";
    }

    /** A route to a port nobody listens on: its handshakes get 502. */
    private static String deadRoute(String id, String path) {
        return route(id, path).replace("127.0.0.1:" + echo.port(), "127.0.0.1:" + deadPort);
    }

    private static String routes(String... routes) {
        return """
                spring:
                  cloud:
                    gateway:
                      server:
                        webflux:
                          routes:
                """ + String.join("", routes);
    }

    /** Publishes {@code content} and waits until the watcher has rejected it. */
    private void publishRejected(String content) {
        double rejected = reloads("rejected");
        publish(content);
        await().atMost(TIMEOUT).until(() -> reloads("rejected") > rejected);
    }

    /** Publishes a new version the way the kubelet updates a ConfigMap volume: a new directory, then a link swap. */
    private static void publish(String content) {
        try {
            String version = "..v" + versions.incrementAndGet();
            Files.createDirectory(configDir.resolve(version));
            Files.writeString(configDir.resolve(version).resolve("application.yml"), content, StandardCharsets.UTF_8);
            Path next = configDir.resolve("..data_tmp");
            Files.deleteIfExists(next);
            Files.createSymbolicLink(next, Path.of(version));
            Files.move(next, configDir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
