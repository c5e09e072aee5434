package io.wsgate.admission;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real client address behind trusted proxies that write X-Forwarded-For (wsgate.forwarded.header): taken from
 * that header only, and only when the peer is trusted, as the rightmost address that is not a trusted proxy; shown
 * in the session log and sent to the backend in X-Forwarded-For and Forwarded, which replace every client-address
 * header the client sent. A malformed Host gets 400. 127.0.0.1 and 10.0.0.0/8 are trusted; 127.0.0.2 (also
 * loopback) is not.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(
        properties = {
            "wsgate.forwarded.trusted-proxies=127.0.0.1, 10.0.0.0/8",
            "wsgate.forwarded.header=x-forwarded-for"
        })
class ClientAddressIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("fwd", "ws://127.0.0.1:" + backend.port(), "/fwd/**");
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
    void aForwardedHeaderFromTheClientIsNotBelievedWhenTheProxiesWriteXForwardedFor(CapturedOutput output)
            throws IOException {
        // The client wrote Forwarded; the proxy (nginx, a cloud L7 balancer) only appended to X-Forwarded-For.
        HttpHeaders seen = handshake(
                "forwarded-spoof",
                InetAddress.getLoopbackAddress(),
                "Forwarded: for=6.6.6.6",
                "X-Forwarded-For: 198.51.100.10");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("198.51.100.10");
        assertThat(seen.get("Forwarded")).startsWith("for=198.51.100.10;");
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("route=fwd client=198.51.100.10:"));
        assertThat(output.getOut()).doesNotContain("6.6.6.6");
    }

    @Test
    void everyClientAddressHeaderTheClientSentIsReplacedOrRemoved() throws IOException {
        HttpHeaders seen = handshake(
                "headers",
                InetAddress.getByName("127.0.0.2"),
                "X-Real-IP: 6.6.6.1",
                "True-Client-IP: 6.6.6.2",
                "CF-Connecting-IP: 6.6.6.3",
                "X-Forwarded-Port: 6666",
                "X-Forwarded-Prefix: /evil",
                "X-Forwarded-Host: evil.test",
                "X-Client-IP: 6.6.6.4",
                "X-Custom: kept");

        for (String name : new String[] {
            "X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Client-IP"
        }) {
            assertThat(seen.contains(name)).as(name).isFalse();
        }
        assertThat(seen.getAll("X-Forwarded-For")).containsExactly("127.0.0.2");
        assertThat(seen.getAll("X-Forwarded-Host")).containsExactly("localhost");
        assertThat(seen.get("X-Custom")).isEqualTo("kept");
    }

    @Test
    void aMalformedHostIsRefusedWith400() throws IOException {
        for (String host : new String[] {"evil\"x", "a, b", "a b", "[::1", "localhost:99999", "x;for=6.6.6.6"}) {
            RawHttp.Response response = RawHttp.exchange(this.port, withHost("/fwd/?t=bad-host", "Host: " + host));
            assertThat(response.status()).as(host).isEqualTo(400);
        }
        RawHttp.Response twoHosts =
                RawHttp.exchange(this.port, withHost("/fwd/?t=two-hosts", "Host: localhost", "Host: evil.test"));
        assertThat(twoHosts.status()).isEqualTo(400);
        // Valid forms still pass.
        String[] valid = {"gateway.example.com:8080", "[::1]:8080", "127.0.0.1"};
        for (int i = 0; i < valid.length; i++) {
            RawHttp.Response response = RawHttp.exchange(this.port, withHost("/fwd/?t=host" + i, "Host: " + valid[i]));
            assertThat(response.status()).as(valid[i]).isEqualTo(101);
        }
        assertThat(backend.session("host1").handshake().get("Forwarded")).endsWith(";host=\"[::1]:8080\"");
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

    /** An upgrade request with {@code hosts} instead of the usual Host header. */
    private static String[] withHost(String path, String... hosts) {
        List<String> lines = new ArrayList<>();
        for (String line : RawHttp.upgradeRequest(path)) {
            if (line.startsWith("Host:")) {
                lines.addAll(List.of(hosts));
            } else {
                lines.add(line);
            }
        }
        return lines.toArray(String[]::new);
    }

    private HttpHeaders handshake(String tag, InetAddress from, String... headers) throws IOException {
        RawHttp.Response response =
                RawHttp.exchange(from, new byte[0], this.port, RawHttp.upgradeRequest("/fwd/?t=" + tag, headers));
        assertThat(response.status()).isEqualTo(101);
        return backend.session(tag).handshake();
    }
}
