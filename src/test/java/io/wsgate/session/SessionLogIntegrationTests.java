package io.wsgate.session;

import static io.wsgate.support.Gateway.TIMEOUT;
import static io.wsgate.support.Gateway.wsUri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wsgate.support.Backend;
import io.wsgate.support.EchoBackend;
import io.wsgate.support.GatewayRoutes;
import io.wsgate.support.GatewayTest;
import io.wsgate.support.JdkWebSocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The session log and the per-route frame log, read from the gateway's real log output. */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = {"logging.level.wsgate.session=DEBUG", "wsgate.proxy.frame-log-max-payload=8B"})
class SessionLogIntegrationTests {

    @Backend
    static EchoBackend echo;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        GatewayRoutes routes = new GatewayRoutes(registry);
        routes.add("quiet", "ws://127.0.0.1:" + echo.port(), "/quiet/**");
        routes.add("framed", "ws://127.0.0.1:" + echo.port(), "/framed/**").metadata("frame-log", "true");
    }

    @Test
    void logsOneLinePerFinishedSessionWithTrafficAndClose(CapturedOutput output) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/quiet/room?token=s3cret"));
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("HELLO");
        client.close(4001, "bye");

        await().atMost(TIMEOUT).until(() -> output.getOut().contains("route=quiet client=127.0.0.1:"));
        String line = output.getOut()
                .lines()
                .filter(l -> l.contains("wsgate.session") && l.contains("route=quiet") && l.contains("duration="))
                .findFirst()
                .orElseThrow();
        assertThat(line)
                .contains(" INFO ")
                .contains("backend=ws://127.0.0.1:" + echo.port() + "/room duration=")
                .contains("client-to-backend=1msg/5B")
                .contains("backend-to-client=1msg/5B")
                .contains("close=4001 closed-by=client");
        // Query strings may carry tokens: never logged.
        assertThat(output.getOut()).doesNotContain("s3cret");
        // The steps at DEBUG, and no frame log on a route that did not ask for it.
        assertThat(output.getOut())
                .contains("route=quiet client=127.0.0.1:")
                .contains("backend answered 101")
                .contains("upgraded")
                .contains("client closed with 4001, relayed 4001");
        assertThat(output.getOut()).doesNotContain("wsgate.frames");
    }

    @Test
    void logsEveryFrameOfARouteWithFrameLogOnTruncated(CapturedOutput output) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(wsUri(this.port, "/framed/"));
        client.sendText("a rather long message");
        assertThat(client.nextText()).isEqualTo("A RATHER LONG MESSAGE");
        client.close(1000, "");

        await().atMost(TIMEOUT).until(() -> output.getOut().contains("backend-to-client text 21B"));
        assertThat(output.getOut())
                .contains("route=framed client=127.0.0.1:")
                .contains("client-to-backend text 21B \"a rather\"...")
                .contains("backend-to-client text 21B \"A RATHER\"...");
    }
}
