package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Trusted proxies that write RFC 7239 Forwarded (wsgate.forwarded.header=forwarded): its for= is read with quotes
 * honoured, and X-Forwarded-For, which such proxies pass on as the client wrote it, is never read. 127.0.0.1 and
 * 10.0.0.0/8 are trusted.
 */
@GatewayTest(
        properties = {"wsgate.forwarded.trusted-proxies=127.0.0.1, 10.0.0.0/8", "wsgate.forwarded.header=forwarded"})
class ForwardedHeaderIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        new GatewayRoutes(registry).add("fwd", "ws://127.0.0.1:" + backend.port(), "/fwd/**");
    }

    @Test
    void theForwardedHeaderNamesTheClient() throws IOException {
        HttpHeaders seen =
                handshake("rfc7239", "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.5");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("2001:db8:cafe:0:0:0:0:17");
        assertThat(seen.get("Forwarded")).startsWith("for=\"[2001:db8:cafe:0:0:0:0:17]\";");
    }

    @Test
    void xForwardedForIsNotReadWhenTheProxiesWriteForwarded() throws IOException {
        HttpHeaders seen = handshake("xff-spoof", "X-Forwarded-For: 6.6.6.6", "Forwarded: for=198.51.100.7");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("198.51.100.7");
    }

    @Test
    void aForInsideAQuotedValueIsNotAHop() throws IOException {
        // A proxy that writes the client's own Host before for=: the semicolons inside the quotes are the client's.
        HttpHeaders seen = handshake("quoted", "Forwarded: host=\"x;for=6.6.6.6;y\";for=198.51.100.8");

        assertThat(seen.get("X-Forwarded-For")).isEqualTo("198.51.100.8");
    }

    private HttpHeaders handshake(String tag, String... headers) throws IOException {
        RawHttp.Response response = RawHttp.exchange(
                InetAddress.getLoopbackAddress(),
                new byte[0],
                this.port,
                RawHttp.upgradeRequest("/fwd/?t=" + tag, headers));
        assertThat(response.status()).isEqualTo(101);
        return backend.session(tag).handshake();
    }
}
