package io.wsgate.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.EchoBackend;
import io.wsgate.support.JdkWebSocketClient;
import java.net.URI;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.gateway.route.RouteLocator;

/** The jar in echo-only mode (profile {@code echo}): the standalone backend the Node.js server used to be. */
class EchoModeIntegrationTests {

    private static EchoBackend echo;

    @BeforeAll
    static void start() {
        echo = EchoBackend.start("--wsgate.echo.max-message-size=4KB");
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    private static URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + echo.port() + path);
    }

    @Test
    void runsWithoutAnyGatewayRoute() {
        assertThat(echo.context().getBeansOfType(RouteLocator.class)).isEmpty();
    }

    @Test
    void answersOnEveryPath() {
        for (String path : new String[] {"/", "/ws/", "/any/deeper/path?x=1"}) {
            assertThat(JdkWebSocketClient.replyTo(uri(path), "hello, martian!!!!"))
                    .isEqualTo("HELLO, MARTIAN!!!!");
        }
    }

    @Test
    void answersBinaryWithTheSameBytes() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/"));
        client.sendBinary(ByteBuffer.wrap(new byte[] {9, 8, 7}));
        assertThat(client.nextMessage()).isEqualTo(ByteBuffer.wrap(new byte[] {9, 8, 7}));
        client.close(1000, "");
    }

    @Test
    void repliesToACloseWithTheClientsCode() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/"));
        assertThat(client.close(4321, "done here").code()).isEqualTo(4321);
    }

    @Test
    void closesWith1009WhenAMessageExceedsTheConfiguredSize() {
        JdkWebSocketClient client = JdkWebSocketClient.connect(uri("/"));
        client.sendText("x".repeat(5 * 1024));
        assertThat(client.awaitClose().code()).isEqualTo(1009);

        JdkWebSocketClient next = JdkWebSocketClient.connect(uri("/"));
        next.sendText("x".repeat(4 * 1024));
        assertThat(next.nextText()).isEqualTo("X".repeat(4 * 1024));
        next.close(1000, "");
    }
}
