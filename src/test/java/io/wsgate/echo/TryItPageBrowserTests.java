package io.wsgate.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.HeadlessChromium;
import io.wsgate.support.ScriptedBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The page at {@code GET /} in a real browser, Debian's headless Chromium, opened through a real gateway: a message
 * to the bundled echo through the default {@code /ws/} route and its uppercased answer, a subprotocol the backend
 * selects and one it does not (Chromium fails that connection itself; the page must say why), a close code a
 * backend sent, and the page's Content-Security-Policy at work. Skipped without Chromium unless
 * {@code WSGATE_REQUIRE_BROWSER} is set.
 *
 * <p>The screenshot of the first case goes to {@code target/try-it/try-it.png}; the README's is made with
 * {@code ./mvnw test -Dtest=TryItPageBrowserTests -Dwsgate.screenshot=docs/images/try-it.png
 * -Dwsgate.screenshot.port=8080} (the gateway on the port it shows).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT, properties = "wsgate.health.enabled=false")
class TryItPageBrowserTests {

    private static final Duration BOUND = Duration.ofSeconds(30);

    // The echo route's uri names the gateway's own port, so the port is fixed before start.
    private static final int PORT = Integer.getInteger("wsgate.screenshot.port", FreePorts.next());

    private static ScriptedBackend backend;

    private static HeadlessChromium chromium;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        backend = ScriptedBackend.start();
        registry.add("server.port", () -> PORT);
        registry.add("management.server.port", () -> 0);
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("scripted", "ws://127.0.0.1:" + backend.port(), "/scripted/**");
        // The default route of application.yml, declared again: a test's route list replaces the file's.
        String echo = "spring.cloud.gateway.server.webflux.routes[1].";
        registry.add(echo + "id", () -> "echo");
        registry.add(echo + "uri", () -> "ws://127.0.0.1:" + PORT);
        registry.add(echo + "predicates[0]", () -> "Path=/ws/**");
        registry.add(echo + "filters[0]", () -> "RewritePath=/ws/?(?<path>.*), /echo/$\\{path}");
    }

    @BeforeAll
    static void startBrowser() {
        HeadlessChromium.assumeInstalled();
        chromium = HeadlessChromium.start(Path.of("target", "try-it", "chromium-profile"), 900, 600);
    }

    @AfterAll
    static void stop() {
        if (chromium != null) {
            chromium.close();
        }
        // Null when the browser is missing: the test was skipped before the gateway (and its routes) started.
        if (backend != null) {
            backend.close();
        }
    }

    @BeforeEach
    void openPage() {
        chromium.open("http://127.0.0.1:" + PORT + "/");
    }

    @Test
    void sendsToTheEchoThroughTheDefaultRouteAndShowsTheUppercasedAnswer() {
        assertThat(chromium.evaluate("document.getElementById('path').value").asString())
                .isEqualTo("/ws/");
        chromium.click("#connect");
        awaitLog("open, no subprotocol");

        chromium.type("#message", "hello, martian!!!!");
        chromium.click("#send");
        awaitLog("→ hello, martian!!!!");
        awaitLog("← HELLO, MARTIAN!!!!");
        chromium.type("#message", "ws through wsgate");
        chromium.click("#send");
        awaitLog("← WS THROUGH WSGATE");

        chromium.click("#disconnect");
        awaitLog("closed: code 1000, reason \"bye from the page\", wasClean true");
        chromium.screenshot(Path.of(System.getProperty("wsgate.screenshot", "target/try-it/try-it.png")));
        assertThat(log()).doesNotContain("Content-Security-Policy");
    }

    @Test
    void showsTheSubprotocolTheBackendSelected() {
        chromium.type("#path", "/scripted/chat?t=" + UUID.randomUUID());
        chromium.type("#protocols", "v1.chat, v2.chat");
        chromium.click("#connect");
        awaitLog("offering subprotocols v1.chat, v2.chat");
        awaitLog("open, subprotocol v2.chat");
    }

    @Test
    void saysSoWhenTheBackendAcceptsNoneOfTheOfferedSubprotocols() {
        // The echo selects none; the gateway relays that (a 101 without Sec-WebSocket-Protocol) and Chromium fails it.
        chromium.type("#protocols", "chat");
        chromium.click("#connect");
        awaitLog("closed: code 1006, reason (none), wasClean false");
        awaitLog("The server accepted none of the offered subprotocols (chat)");
        assertThat(log()).doesNotContain("open, ");
    }

    @Test
    void saysSoWhenTheHandshakeFailsWithoutSubprotocolsToo() {
        chromium.type("#path", "/no-route-here/");
        chromium.click("#connect");
        awaitLog("closed: code 1006, reason (none), wasClean false");
        awaitLog("The handshake failed: no route for this path");
    }

    @Test
    void showsTheCloseCodeAndReasonTheBackendSent() {
        String tag = UUID.randomUUID().toString();
        chromium.type("#path", "/scripted/?t=" + tag);
        chromium.click("#connect");
        awaitLog("open, no subprotocol");
        // The scripted backend closes with the code and reason it is told.
        chromium.type("#message", "close:4001:bye");
        chromium.click("#send");
        awaitLog("closed: code 4001, reason \"bye\", wasClean true");
        assertThat(backend.session(tag).awaitClose().code()).isEqualTo(4001);
        assertThat(chromium.evaluate("document.getElementById('status').textContent")
                        .asString())
                .isEqualTo("Closed: 4001 \"bye\".");
    }

    @Test
    void runsNoScriptButItsOwn() {
        // An injected inline script is refused by the page's Content-Security-Policy (which the page reports).
        chromium.evaluate("(() => { const s = document.createElement('script');"
                + " s.textContent = 'window.injected = true'; document.body.append(s); })()");
        awaitLog("Blocked by the page's Content-Security-Policy: script-src");
        assertThat(chromium.evaluate("window.injected === undefined").asBoolean())
                .isTrue();
    }

    private String log() {
        return chromium.evaluate("document.getElementById('log').innerText").asString();
    }

    private void awaitLog(String text) {
        try {
            chromium.waitUntil(
                    "document.getElementById('log').innerText.includes("
                            + JsonMapper.builder().build().writeValueAsString(text) + ")",
                    BOUND);
        } catch (AssertionError ex) {
            throw new AssertionError("the page's log never showed " + text + "; it shows:\n" + log(), ex);
        }
    }
}
