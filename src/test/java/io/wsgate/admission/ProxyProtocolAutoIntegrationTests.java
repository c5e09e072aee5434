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
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * wsgate.forwarded.proxy-protocol=auto keeps the PROXY protocol to wsgate.forwarded.trusted-proxies (127.0.0.1):
 * a trusted peer's header names the client; a PROXY header from 127.0.0.2 (also loopback, not trusted) closes the
 * connection with a WARN line; plain HTTP from 127.0.0.2 is served with 127.0.0.2 as the client.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = {"wsgate.forwarded.proxy-protocol=auto", "wsgate.forwarded.trusted-proxies=127.0.0.1"})
class ProxyProtocolAutoIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("l4", "ws://127.0.0.1:" + backend.port(), "/l4/**");
    }

    @Test
    void aTrustedPeersHeaderNamesTheClient() throws IOException {
        RawHttp.Response response = RawHttp.exchange(
                InetAddress.getLoopbackAddress(),
                proxyHeader("192.0.2.30"),
                this.port,
                RawHttp.upgradeRequest("/l4/?t=trusted"));

        assertThat(response.status()).isEqualTo(101);
        assertThat(backend.session("trusted").handshake().get("X-Forwarded-For"))
                .isEqualTo("192.0.2.30");
    }

    @Test
    void aProxyHeaderFromAnUntrustedPeerClosesTheConnection(CapturedOutput output) throws IOException {
        assertThat(RawHttp.closedWithoutAnswer(
                        InetAddress.getByName("127.0.0.2"),
                        proxyHeader("6.6.6.6"),
                        this.port,
                        RawHttp.upgradeRequest("/l4/?t=spoofed")))
                .as("the gateway closes without answering")
                .isTrue();
        await().atMost(TIMEOUT)
                .until(() -> output.getOut().contains("Closed the connection from untrusted peer /127.0.0.2:")
                        && output.getOut()
                                .contains("a PROXY header is only accepted from wsgate.forwarded.trusted-proxies"));
        assertThat(output.getOut()).doesNotContain("client=6.6.6.6");
    }

    @Test
    void plainHttpFromAnUntrustedPeerIsServedWithThePeerAsTheClient() throws IOException {
        RawHttp.Response response = RawHttp.exchange(
                InetAddress.getByName("127.0.0.2"), new byte[0], this.port, RawHttp.upgradeRequest("/l4/?t=plain"));

        assertThat(response.status()).isEqualTo(101);
        HttpHeaders seen = backend.session("plain").handshake();
        assertThat(seen.get("X-Forwarded-For")).isEqualTo("127.0.0.2");
    }

    private byte[] proxyHeader(String client) {
        return ("PROXY TCP4 " + client + " 127.0.0.1 51000 " + this.port + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
