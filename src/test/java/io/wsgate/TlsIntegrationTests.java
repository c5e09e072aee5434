package io.wsgate;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.SelfSignedCertificate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * TLS on both legs with certificates the test makes: clients speak {@code wss://} to the gateway (a Spring Boot
 * SSL bundle on the traffic port), the gateway speaks {@code wss://} to a backend whose self-signed certificate
 * it trusts through {@code spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle}, and refuses a backend
 * whose certificate it does not trust with 502 before upgrading the client.
 */
@GatewayTest(properties = {"wsgate.health.interval=500ms", "wsgate.proxy.handshake-timeout=10s"})
@ExtendWith(OutputCaptureExtension.class)
class TlsIntegrationTests {

    private static Path dir;

    private static SelfSignedCertificate gatewayCertificate;

    private static EchoBackend trusted;

    private static EchoBackend untrusted;

    private static EchoBackend misnamed;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) throws IOException {
        dir = Files.createTempDirectory("wsgate-tls");
        gatewayCertificate = SelfSignedCertificate.create(dir, "gateway");
        SelfSignedCertificate backendCertificate = SelfSignedCertificate.create(dir, "backend");
        SelfSignedCertificate strangerCertificate = SelfSignedCertificate.create(dir, "stranger");
        SelfSignedCertificate elsewhereCertificate =
                SelfSignedCertificate.create(dir, "elsewhere", "dns:elsewhere.example");
        trusted =
                EchoBackend.start(backendCertificate.serverBundleArgs("backend").toArray(String[]::new));
        misnamed = EchoBackend.start(
                elsewhereCertificate.serverBundleArgs("elsewhere").toArray(String[]::new));
        // Trusted, both of them; the second one names another host than the route's.
        Path trustedPem = dir.resolve("trusted.pem");
        Files.writeString(
                trustedPem,
                Files.readString(backendCertificate.certificate())
                        + Files.readString(elsewhereCertificate.certificate()));
        untrusted = EchoBackend.start(
                strangerCertificate.serverBundleArgs("stranger").toArray(String[]::new));

        // wss:// for clients: the traffic port serves the gateway's certificate.
        registry.add("spring.ssl.bundle.jks.gateway.keystore.location", () -> "file:" + gatewayCertificate.keyStore());
        registry.add("spring.ssl.bundle.jks.gateway.keystore.password", () -> SelfSignedCertificate.PASSWORD);
        registry.add("spring.ssl.bundle.jks.gateway.keystore.type", () -> "PKCS12");
        registry.add("server.ssl.bundle", () -> "gateway");
        // wss:// backends: trust these certificates (and only them).
        registry.add("spring.ssl.bundle.pem.backends.truststore.certificate", () -> "file:" + trustedPem);
        registry.add("spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle", () -> "backends");

        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("secure", "wss://localhost:" + trusted.port(), "/secure/**");
        routes.add("untrusted", "wss://localhost:" + untrusted.port(), "/untrusted/**");
        routes.add("misnamed", "wss://localhost:" + misnamed.port(), "/misnamed/**");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        trusted.close();
        untrusted.close();
        misnamed.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    private HttpClient trustingGateway() {
        return HttpClient.newBuilder()
                .sslContext(gatewayCertificate.trustingContext())
                .connectTimeout(TIMEOUT)
                .build();
    }

    private URI uri(String path) {
        return URI.create("wss://localhost:" + this.port + path);
    }

    @Test
    void relaysWssFromTheClientToATrustedWssBackend() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(trustingGateway(), uri("/secure/"), true);
        for (int i = 0; i < 20; i++) {
            client.sendText("secret " + i);
            assertThat(client.nextText()).isEqualTo("SECRET " + i);
        }
        assertThat(client.close(1000, "bye")).isEqualTo(new JdkWebSocketClient.Close(1000, "bye"));
    }

    @Test
    void clientThatDoesNotTrustTheGatewayCannotConnect() {
        HttpClient defaultTrust =
                HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        assertThat(JdkWebSocketClient.connectFailure(defaultTrust, uri("/secure/")))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path building failed");
    }

    @Test
    void untrustedBackendCertificateGetsThe502BeforeAnyUpgrade(CapturedOutput output) {
        assertRefusedWith502ForTls("untrusted", untrusted, output);
        assertThat(this.registry
                        .get(WsgateMeterNames.HANDSHAKES_REJECTED)
                        .tags(WsgateMeterNames.TAG_ROUTE, "untrusted", WsgateMeterNames.TAG_REASON, "backend-tls")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void trustedBackendCertificateForAnotherHostGetsThe502(CapturedOutput output) {
        assertRefusedWith502ForTls("misnamed", misnamed, output);
        assertThat(output).contains("No subject alternative DNS name matching localhost");
    }

    /** The client's handshake on {@code route} gets 502, and the log says the backend's TLS handshake failed. */
    private void assertRefusedWith502ForTls(String route, EchoBackend backend, CapturedOutput output) {
        Throwable failure = JdkWebSocketClient.connectFailure(trustingGateway(), uri("/" + route + "/"));

        assertThat(failure).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) failure).getResponse().statusCode())
                .isEqualTo(502);
        assertThat(output)
                .contains("Route " + route + ": Backend wss://localhost:" + backend.port())
                .contains("failed the TLS handshake");
    }

    @Test
    void routeHealthProbesWssBackendsWithTheGatewaysTrust() {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(routeUp("secure")).isEqualTo(1.0);
            assertThat(routeUp("untrusted")).isEqualTo(0.0);
        });
    }

    private double routeUp(String route) {
        Gauge gauge = this.registry
                .find(WsgateMeterNames.ROUTE_UP)
                .tag(WsgateMeterNames.TAG_ROUTE, route)
                .gauge();
        return gauge != null ? gauge.value() : Double.NaN;
    }
}
