package io.wsgate.auth;

import static io.wsgate.support.Gateway.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.FreePorts;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.OidcIssuer;
import io.wsgate.support.RawHttp;
import io.wsgate.support.ScriptedBackend;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client's token in no log line, with every logger that prints request URLs turned up: Spring's
 * {@code org.springframework.web} and {@code org.springframework.http} at {@code TRACE} (HttpWebHandlerAdapter's
 * {@code HTTP GET "/path?query"}), the gateway's route matching at {@code TRACE}, Reactor Netty's server at
 * {@code TRACE} and its access log on ({@code -Dreactor.netty.http.server.accessLogEnabled=true}), Netty's WebSocket
 * handshaker at {@code DEBUG}, wsgate at {@code DEBUG}. The gateway runs as its own process, so its whole output is
 * its own (the backend here, a Reactor Netty server too, legitimately sees the token on routes that keep it).
 */
class TokenNeverLoggedIntegrationTests {

    private static final String ROUTES = "--spring.cloud.gateway.server.webflux.routes[";

    private static OidcIssuer issuer;

    private static ScriptedBackend backend;

    private static JavaProcess gateway;

    private static int port;

    private static int managementPort;

    @BeforeAll
    static void start() {
        issuer = OidcIssuer.start();
        backend = ScriptedBackend.start();
        port = FreePorts.next();
        managementPort = FreePorts.next();
        String uri = "ws://127.0.0.1:" + backend.port();
        List<String> args = new ArrayList<>(List.of(
                "--server.port=" + port,
                "--management.server.port=" + managementPort,
                "--spring.security.oauth2.resourceserver.jwt.issuer-uri=" + issuer.issuer(),
                "--logging.level.org.springframework.web=TRACE",
                "--logging.level.org.springframework.http=TRACE",
                "--logging.level.org.springframework.cloud.gateway=TRACE",
                "--logging.level.org.springframework.security=TRACE",
                "--logging.level.reactor.netty.http.server=TRACE",
                "--logging.level.io.netty.handler.codec.http.websocketx=DEBUG",
                "--logging.level.io.wsgate=DEBUG",
                "--logging.level.wsgate=DEBUG"));
        args.addAll(route(0, "jwt", uri, "auth=jwt", "auth-token-from=header,query,cookie,subprotocol"));
        args.addAll(route(
                1, "keep", uri, "auth=jwt", "auth-token-from=header,query,cookie,subprotocol", "auth-keep-token=true"));
        args.addAll(route(2, "header-only", uri, "auth=jwt", "auth-token-from=header"));
        args.addAll(route(3, "open", uri));
        gateway = JavaProcess.wsgate(
                        "token-logs-gateway",
                        List.of("-Xmx256m", "-Dreactor.netty.http.server.accessLogEnabled=true"),
                        args.toArray(String[]::new))
                .awaitStarted();
    }

    private static List<String> route(int index, String id, String uri, String... metadata) {
        String route = ROUTES + index + "].";
        List<String> args = new ArrayList<>(List.of(
                route + "id=" + id,
                route + "uri=" + uri,
                route + "predicates[0]=Path=/" + id + "/**",
                route + "filters[0]=StripPrefix=1"));
        for (String entry : metadata) {
            int eq = entry.indexOf('=');
            args.add(route + "metadata." + entry.substring(0, eq) + "=" + entry.substring(eq + 1));
        }
        return args;
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
        issuer.close();
    }

    @Test
    void noTokenInAnyLogLineWhateverWhereItWasSentAndTheBehaviourIsUnchanged() throws Exception {
        String token = issuer.token("svc", "chat.read", "acme", Duration.ofMinutes(5));
        // Forwarded by their routes: these two may appear where the gateway prints the backend URL it connects to.
        String kept = issuer.token("svc-keep", "chat.read", "acme", Duration.ofMinutes(5));
        String opaque = "opaque-secret-of-a-public-route-5f1c9a";

        // Accepted, the token stripped from the backend's URI.
        assertThat(echoes("/jwt/room?t=query&access_token=" + token + "&x=1", Map.of(), "query")
                        .uri())
                .isEqualTo("/room?t=query&x=1");
        // Kept: the backend gets the client's token, not the redacted one.
        assertThat(echoes("/keep/room?t=keep&access_token=" + kept, Map.of(), "keep")
                        .uri())
                .isEqualTo("/room?t=keep&access_token=" + kept);
        // A route without auth: the parameter is the backend's business, passed on unchanged.
        assertThat(echoes("/open/room?access_token=" + opaque + "&t=open", Map.of(), "open")
                        .uri())
                .isEqualTo("/room?access_token=" + opaque + "&t=open");
        assertThat(echoes("/jwt/room?t=header", Map.of("Authorization", "Bearer " + token), "header")
                        .handshake()
                        .get("Authorization"))
                .isNull();
        assertThat(echoes("/jwt/room?t=cookie", Map.of("Cookie", "access_token=" + token), "cookie")
                        .handshake()
                        .get("Cookie"))
                .isNull();
        JdkWebSocketClient subprotocol = JdkWebSocketClient.connect(
                URI.create("ws://127.0.0.1:" + port + "/jwt/chat?t=subprotocol"),
                Map.of(),
                "v2.chat",
                "bearer." + token);
        subprotocol.sendText("subprotocol");
        assertThat(subprotocol.nextText()).isEqualTo("subprotocol");
        subprotocol.close(1000, "");

        // Offers the backend selects nothing from: Netty's handshaker would log the offer it could not match.
        assertThat(upgrade("/jwt/room?t=offer-unmatched", "Sec-WebSocket-Protocol: v9.chat, bearer." + token)
                        .status())
                .isEqualTo(101);
        assertThat(upgrade("/jwt/room?t=offer-bearer-only", "Sec-WebSocket-Protocol: bearer." + token)
                        .status())
                .isEqualTo(101);

        // Refused: in the query of a route that takes only the header (left where it was), expired, forged.
        String expired = issuer.token("svc", "chat.read", "acme", Duration.ofSeconds(-120));
        String forged = issuer.forged("svc", "chat.read");
        assertThat(upgrade("/header-only/room?access_token=" + token).status()).isEqualTo(401);
        assertThat(upgrade("/jwt/room?access_token=" + expired).status()).isEqualTo(401);
        assertThat(upgrade("/jwt/room", "Authorization: Bearer " + forged).status())
                .isEqualTo(401);
        assertThat(upgrade("/jwt/room?access_token=" + forged + "&access_token=" + token)
                        .status())
                .isEqualTo(401);

        // The management port has its own server, and its own access log.
        assertThat(RawHttp.exchange(
                                managementPort,
                                "GET /livez?access_token=" + token + " HTTP/1.1",
                                "Host: localhost",
                                "Connection: close")
                        .status())
                .isEqualTo(200);
        await().atMost(TIMEOUT).until(() -> gateway.output().contains("GET /livez?access_token="));

        String output = gateway.output();
        // The loggers were on: request lines, access log lines and refusals are there.
        assertThat(output)
                .contains("HTTP GET \"/jwt/room")
                .contains("reactor.netty.http.server.AccessLog")
                .contains("refused handshake");
        for (String jwt : List.of(token, expired, forged)) {
            String signature = jwt.split("\\.")[2];
            assertThat(output.lines().filter(line -> line.contains(signature)))
                    .as("log lines with a token")
                    .isEmpty();
        }
        // A forwarded token only where Spring's WebSocket client prints the backend URL it connects to, at DEBUG
        // (docs/security.md).
        String backendUrl = "ws://127.0.0.1:" + backend.port() + "/";
        for (String secret : List.of(kept.split("\\.")[2], opaque)) {
            assertThat(output.lines()
                            .filter(line -> line.contains(secret))
                            .filter(line -> !line.contains(" DEBUG ") || !line.contains(backendUrl)))
                    .as("log lines with a forwarded token")
                    .isEmpty();
        }
        assertThat(output).contains("access_token=redacted");
    }

    /** A session on {@code path} that echoes one message; what the backend got for the request tagged {@code tag}. */
    private static ScriptedBackend.Recorded echoes(
            String path, Map<String, String> headers, String tag, String... protocols) {
        return backend.echoThrough(port, path, headers, tag, protocols);
    }

    private static RawHttp.Response upgrade(String path, String... headers) throws Exception {
        return RawHttp.exchange(port, RawHttp.upgradeRequest(path, headers));
    }
}
