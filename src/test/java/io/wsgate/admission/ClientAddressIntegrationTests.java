package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real client address behind trusted proxies: taken from Forwarded or X-Forwarded-For only when the peer is
 * trusted, as the rightmost address that is not a trusted proxy; shown in the session log and sent to the
 * backend in X-Forwarded-For and Forwarded, replacing what the client sent. 127.0.0.1 and 10.0.0.0/8 are trusted;
 * 127.0.0.2 (also loopback) is not.
 */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "wsgate.forwarded.trusted-proxies=127.0.0.1, 10.0.0.0/8")
class ClientAddressIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        backend = ScriptedBackend.start();
        new GatewayRoutes(registry).add("fwd", "ws://127.0.0.1:" + backend.port(), "/fwd/**");
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    @Test
    void theClientBehindTrustedProxiesIsLoggedAndForwarded(CapturedOutput output) throws IOException {
        HttpHeaders seen =
                handshake("chain", InetAddress.getLoopbackAddress(), "X-Forwarded-For: 198.51.100.7, 10.1.2.3");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("198.51.100.7");
        assertThat(seen.get("Forwarded")).isEqualTo("for=198.51.100.7;proto=http;host=\"localhost\"");
        assertThat(seen.get("X-Forwarded-Proto")).isEqualTo("http");
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("route=fwd client=198.51.100.7:"));
    }

    @Test
    void addressesAClientWroteBeforeTheFirstTrustedHopAreNotBelieved() throws IOException {
        // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
        HttpHeaders seen =
                handshake("spoof", InetAddress.getLoopbackAddress(), "X-Forwarded-For: 6.6.6.6, 198.51.100.8");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("198.51.100.8");
    }

    @Test
    void theForwardedHeaderIsReadToo() throws IOException {
        HttpHeaders seen = handshake(
                "rfc7239",
                InetAddress.getLoopbackAddress(),
                "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.5");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("2001:db8:cafe:0:0:0:0:17");
        assertThat(seen.get("Forwarded")).startsWith("for=\"[2001:db8:cafe:0:0:0:0:17]\";");
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItsHeadersSay(CapturedOutput output) throws IOException {
        HttpHeaders seen = handshake(
                "untrusted",
                InetAddress.getByName("127.0.0.2"),
                "X-Forwarded-For: 198.51.100.9",
                "Forwarded: for=198.51.100.9");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("127.0.0.2");
        assertThat(seen.get("Forwarded")).startsWith("for=127.0.0.2;");
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("route=fwd client=127.0.0.2:"));
        assertThat(output.getOut()).doesNotContain("198.51.100.9");
    }

    private HttpHeaders handshake(String tag, InetAddress from, String... headers) throws IOException {
        RawHttp.Response response =
                RawHttp.exchange(from, new byte[0], this.port, RawHttp.upgradeRequest("/fwd/?t=" + tag, headers));
        assertThat(response.status()).isEqualTo(101);
        return backend.session(tag).handshake();
    }
}
