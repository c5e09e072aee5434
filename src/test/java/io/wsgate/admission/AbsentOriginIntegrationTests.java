package io.wsgate.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaders;
import io.wsgate.support.Backend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A client that sent no Origin reaches the backend with none (Netty's WebSocket client would add one naming the
 * backend, which passes the backend's own same-origin check); a client's Origin is passed on as sent; the gateway's
 * private marker never reaches a backend, on WebSocket or plain HTTP routes.
 */
@GatewayTest
class AbsentOriginIntegrationTests {

    @Backend
    static ScriptedBackend backend;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("ws", "ws://127.0.0.1:" + backend.port(), "/ws-origin/**");
        routes.add("http", "http://127.0.0.1:" + backend.port(), "/http-origin/**");
    }

    @Test
    void aClientWithoutOriginReachesTheBackendWithoutOne() throws IOException {
        HttpHeaders seen = upgrade("none");

        assertThat(seen.contains("Origin")).as("Origin " + seen.get("Origin")).isFalse();
        assertThat(seen.contains(AbsentOriginFilter.MARKER)).isFalse();
    }

    @Test
    void theClientsOriginIsPassedOnAsSent() throws IOException {
        HttpHeaders seen = upgrade("sent", "Origin: https://chat.example.com");

        assertThat(seen.getAll("Origin")).containsExactly("https://chat.example.com");
    }

    @Test
    void aClientCannotSetTheMarkerToHaveItsOriginRemoved() throws IOException {
        HttpHeaders seen =
                upgrade("forged-marker", "Origin: https://chat.example.com", AbsentOriginFilter.MARKER + ": 1");

        assertThat(seen.getAll("Origin")).containsExactly("https://chat.example.com");
        assertThat(seen.contains(AbsentOriginFilter.MARKER)).isFalse();
    }

    @Test
    void plainHttpRoutesNeverSeeTheMarker() throws IOException {
        RawHttp.Response response = RawHttp.exchange(
                this.port, "GET /http-origin/status/200?t=plain HTTP/1.1", "Host: localhost", "Connection: close");

        assertThat(response.status()).isEqualTo(200);
        HttpHeaders seen = backend.session("plain").handshake();
        assertThat(seen.contains(AbsentOriginFilter.MARKER)).isFalse();
        assertThat(seen.contains("Origin")).isFalse();
    }

    private HttpHeaders upgrade(String tag, String... headers) throws IOException {
        RawHttp.Response response =
                RawHttp.exchange(this.port, RawHttp.upgradeRequest("/ws-origin/?t=" + tag, headers));
        assertThat(response.status()).isEqualTo(101);
        return backend.session(tag).handshake();
    }
}
