package io.wsgate.admission;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.OidcIssuer;
import io.wsgate.support.RawHttp;
import io.wsgate.support.RawWebSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Per-client limits keyed by a token claim ({@code client-key: claim:sub}) with a real issuer and real clients on
 * two loopback addresses: two subjects behind one address each get their own places, one subject on two addresses
 * shares them, for the sessions (503) and the handshake rate (429); a token without the claim counts by address.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = "wsgate.limits.retry-after=7s")
class ClaimClientKeyIntegrationTests {

    private static final InetAddress FIRST = address("127.0.0.1");

    private static final InetAddress SECOND = address("127.0.0.2");

    @Backend
    static EchoBackend echo;

    @Backend
    static OidcIssuer issuer;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @Autowired
    HandshakeAdmissionFilter admission;

    private final List<RawWebSocket> sockets = new ArrayList<>();

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", issuer::issuer);
        String uri = "ws://127.0.0.1:" + echo.port();
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("bysub", uri, "/bysub/**")
                .metadata("auth", "jwt")
                .metadata("client-key", "claim:sub")
                .metadata("max-sessions-per-client", "1");
        routes.add("bysubrate", uri, "/bysubrate/**")
                .metadata("auth", "jwt")
                .metadata("client-key", "claim:sub")
                .metadata("handshake-rate-per-client", "1/1h");
        routes.add("bytenant", uri, "/bytenant/**")
                .metadata("auth", "jwt")
                .metadata("client-key", "claim:tenant")
                .metadata("max-sessions-per-client", "1");
    }

    @AfterEach
    void closeSockets() {
        this.sockets.forEach(RawWebSocket::close);
        await().atMost(TIMEOUT).until(() -> active() == 0 && this.admission.pendingHandshakes() == 0);
    }

    @Test
    void twoSubjectsBehindOneAddressEachHaveTheirOwnPlaces() {
        assertEchoes(open(FIRST, "/bysub/", "alice-9f1"));
        // By address, the second subject would be the same client and get 503.
        assertEchoes(open(FIRST, "/bysub/", "bob-9f1"));
    }

    @Test
    void oneSubjectOnTwoAddressesSharesItsPlaces(CapturedOutput output) {
        RawWebSocket first = open(FIRST, "/bysub/", "carol-5e2");
        assertEchoes(first);

        RawWebSocket second = open(SECOND, "/bysub/", "carol-5e2");
        assertThat(second.handshake().status()).isEqualTo(503);
        assertThat(second.handshake().header("Retry-After")).isEqualTo("7");
        assertThat(output.getOut())
                .contains("Route bysub: refused handshake from 127.0.0.2 with 503:"
                        + " this client has 1 sessions open on the route, its limit")
                .doesNotContain("carol-5e2");

        // After traffic and a close the place comes back, on the other address too.
        assertEchoes(first);
        first.sendClose(1000, "");
        assertThat(first.awaitClose().closeCode()).isEqualTo(1000);
        await().atMost(TIMEOUT).until(() -> active() == 0);
        assertEchoes(open(SECOND, "/bysub/", "carol-5e2"));
    }

    @Test
    void theHandshakeRateIsPerSubjectNotPerAddress(CapturedOutput output) throws IOException {
        assertThat(RawHttp.upgradeStatus(FIRST, this.port, "/bysubrate/", issuer.bearer("dave-3c7")))
                .isEqualTo(101);
        // Another address, same subject: its one handshake an hour is used.
        assertThat(RawHttp.upgradeStatus(SECOND, this.port, "/bysubrate/", issuer.bearer("dave-3c7")))
                .isEqualTo(429);
        assertThat(output.getOut())
                .contains("Route bysubrate: refused handshake from 127.0.0.2 with 429: more than 1/1h handshakes"
                        + " from this client (by its sub claim)")
                .doesNotContain("dave-3c7");
        // Same address, another subject: its own bucket.
        assertThat(RawHttp.upgradeStatus(FIRST, this.port, "/bysubrate/", issuer.bearer("erin-3c7")))
                .isEqualTo(101);
    }

    @Test
    void aTokenWithoutTheClaimCountsByItsAddress() {
        // No tenant claim in these tokens: the clients are their addresses again.
        assertEchoes(open(FIRST, "/bytenant/", "frank-1d4"));
        assertThat(open(FIRST, "/bytenant/", "grace-1d4").handshake().status()).isEqualTo(503);
        assertEchoes(open(SECOND, "/bytenant/", "heidi-1d4"));
    }

    private RawWebSocket open(InetAddress from, String path, String subject) {
        RawWebSocket socket = RawWebSocket.connectFrom(from, this.port, path, issuer.bearer(subject));
        this.sockets.add(socket);
        return socket;
    }

    private static void assertEchoes(RawWebSocket socket) {
        assertThat(socket.handshake().status()).isEqualTo(101);
        socket.sendText("ping");
        assertThat(socket.readFrame().text()).isEqualTo("PING");
    }

    private long active() {
        return Search.in(this.registry).name(WsgateMeterNames.SESSIONS_ACTIVE).gauges().stream()
                .mapToLong(gauge -> (long) gauge.value())
                .sum();
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
