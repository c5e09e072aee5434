package io.wsgate;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RawWebSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * The gateway exactly as {@code ./mvnw spring-boot:run} starts it, with only the port changed: the default
 * {@code /ws/**} route to the bundled echo, spoken to like the classic httpd setup was.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
class DefaultRoutesIntegrationTests {

    // The default route's uri is ws://localhost:${server.port}, so the port is fixed before start.
    private static final int PORT = FreePorts.next();

    @DynamicPropertySource
    static void port(DynamicPropertyRegistry registry) {
        registry.add("server.port", () -> PORT);
        registry.add("management.server.port", () -> 0);
    }

    @Test
    void uppercasesHelloMartianThroughWs() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(PORT, "/ws/"));
        client.sendText("hello, martian!!!!");
        assertThat(client.nextText()).isEqualTo("HELLO, MARTIAN!!!!");
        assertThat(client.close(1000, "").code()).isEqualTo(1000);
    }

    @Test
    void clientOfferingASubprotocolTheEchoDoesNotSelectIsUpgradedWithoutOne() {
        // new WebSocket("ws://localhost:8080/ws/", ["chat"]): the echo selects none, the client gets 101 all the same.
        try (RawWebSocket client = RawWebSocket.connect(PORT, "/ws/", "Sec-WebSocket-Protocol: chat")) {
            assertThat(client.handshake().status()).isEqualTo(101);
            assertThat(client.handshake().headers()).doesNotContainKey("sec-websocket-protocol");
            client.sendText("hello, martian!!!!");
            assertThat(client.readFrame().text()).isEqualTo("HELLO, MARTIAN!!!!");
            client.sendClose(1000, "");
            assertThat(client.awaitClose().closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void rewritesAnyPathUnderWsToTheEcho() {
        String reply = HttpClient.create()
                .websocket()
                .uri(wsUri(PORT, "/ws/rooms/42?user=ada"))
                .handle((in, out) -> out.sendString(Mono.just("deeper path"))
                        .then()
                        .thenMany(in.receive().asString().take(1)))
                .blockFirst(TIMEOUT);
        assertThat(reply).isEqualTo("DEEPER PATH");
    }

    @Test
    void answersTheClassicCurlUpgrade() throws IOException, InterruptedException {
        // The hand-made upgrade from the httpd days, with the real curl; -N keeps it reading after the 101.
        Process curl = new ProcessBuilder(List.of(
                        "curl",
                        "-i",
                        "-N",
                        "-s",
                        "--max-time",
                        "3",
                        "-H",
                        "Connection: Upgrade",
                        "-H",
                        "Upgrade: websocket",
                        "-H",
                        "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
                        "-H",
                        "Sec-WebSocket-Version: 13",
                        "http://127.0.0.1:" + PORT + "/ws/"))
                .redirectErrorStream(true)
                .start();
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

        assertThat(output).startsWith("HTTP/1.1 101 Switching Protocols");
        assertThat(output).containsIgnoringCase("Sec-WebSocket-Accept: 2T9o4TGeL7V6QJ/PnOsqmx4nEBk=");
        assertThat(output).containsIgnoringCase("upgrade: websocket");
    }

    @Test
    void answersTheSameUpgradeWrittenByHand() throws IOException {
        RawHttp.Response response = RawHttp.exchange(PORT, RawHttp.upgradeRequest("/ws/"));
        assertThat(response.status()).isEqualTo(101);
        assertThat(response.header("Sec-WebSocket-Accept")).isEqualTo("2T9o4TGeL7V6QJ/PnOsqmx4nEBk=");
    }

    @Test
    void servesTheEchoDirectlyOnItsOwnPathToo() {
        assertThat(JdkWebSocketClient.replyTo(wsUri(PORT, "/echo/"), "direct")).isEqualTo("DIRECT");
    }
}
