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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The PROXY protocol for L4 load balancers (wsgate.forwarded.proxy-protocol=on): the client address from a v1 or
 * v2 header sent before the HTTP upgrade is the session's client in the log and towards the backend; a
 * connection without the header is dropped; a peer outside wsgate.forwarded.trusted-proxies (127.0.0.2, also
 * loopback, while 127.0.0.1 is trusted) is closed whatever it sends; the management port never asks for it.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = {"wsgate.forwarded.proxy-protocol=on", "wsgate.forwarded.trusted-proxies=127.0.0.1"})
class ProxyProtocolIntegrationTests {

    /** The fixed 12 bytes that open a PROXY protocol v2 header. */
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("l4", "ws://127.0.0.1:" + backend.port(), "/l4/**");
    }

    @Test
    void aVersion1HeaderNamesTheClient(CapturedOutput output) throws IOException {
        byte[] header =
                ("PROXY TCP4 192.0.2.10 127.0.0.1 51000 " + this.port + "\r\n").getBytes(StandardCharsets.US_ASCII);

        HttpHeaders seen = handshake("v1", header);

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("192.0.2.10");
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("route=l4 client=192.0.2.10:51000 "));
    }

    @Test
    void aVersion2HeaderNamesTheClient(CapturedOutput output) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(V2_SIGNATURE.length + 4 + 12);
        header.put(V2_SIGNATURE);
        header.put((byte) 0x21); // version 2, PROXY command
        header.put((byte) 0x11); // TCP over IPv4
        header.putShort((short) 12); // addresses and ports follow
        header.put(InetAddress.getByName("192.0.2.20").getAddress());
        header.put(InetAddress.getLoopbackAddress().getAddress());
        header.putShort((short) 52000);
        header.putShort((short) this.port);

        HttpHeaders seen = handshake("v2", header.array());

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("192.0.2.20");
        assertThat(seen.get("Forwarded")).startsWith("for=192.0.2.20;");
        await().atMost(TIMEOUT).until(() -> output.getOut().contains("route=l4 client=192.0.2.20:52000 "));
    }

    @Test
    void aConnectionWithoutTheHeaderIsDropped() throws IOException {
        assertThat(RawHttp.closedWithoutAnswer(
                        InetAddress.getLoopbackAddress(),
                        new byte[0],
                        this.port,
                        RawHttp.upgradeRequest("/l4/?t=none")))
                .as("the gateway closes without answering")
                .isTrue();
    }

    @Test
    void aPeerOutsideTheTrustedProxiesIsClosedEvenWithAValidHeader(CapturedOutput output) throws IOException {
        byte[] header =
                ("PROXY TCP4 6.6.6.6 127.0.0.1 51000 " + this.port + "\r\n").getBytes(StandardCharsets.US_ASCII);

        assertThat(RawHttp.closedWithoutAnswer(
                        InetAddress.getByName("127.0.0.2"),
                        header,
                        this.port,
                        RawHttp.upgradeRequest("/l4/?t=untrusted")))
                .as("the gateway closes without answering")
                .isTrue();
        assertThat(output.getOut())
                .contains("Closed the connection from untrusted peer /127.0.0.2:")
                .doesNotContain("client=6.6.6.6");
    }

    @Test
    void theManagementPortDoesNotSpeakIt() throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + "/livez"))
                                .timeout(TIMEOUT)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    private HttpHeaders handshake(String tag, byte[] proxyHeader) throws IOException {
        RawHttp.Response response = RawHttp.exchange(
                InetAddress.getLoopbackAddress(), proxyHeader, this.port, RawHttp.upgradeRequest("/l4/?t=" + tag));
        assertThat(response.status()).isEqualTo(101);
        return backend.session(tag).handshake();
    }
}
