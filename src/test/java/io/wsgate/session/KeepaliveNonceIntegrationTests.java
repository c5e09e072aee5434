package io.wsgate.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.JdkWebSocketClient;
import io.wsgate.support.RawWebSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keepalive pongs count only when they answer a ping this gateway process sent: two wsgate processes in a row keep
 * a session alive through many ping intervals, and a client cannot silence its pong timeout with a pong it made
 * up. The gateways and the echo backend are separate processes, each with its own keepalive nonce, as in a real
 * chain.
 */
class KeepaliveNonceIntegrationTests {

    private static final Duration PING_INTERVAL = Duration.ofMillis(500);

    private static final Duration PONG_TIMEOUT = Duration.ofSeconds(1);

    private static JavaProcess echo;

    private static JavaProcess inner;

    private static JavaProcess outer;

    private static int innerPort;

    private static int outerPort;

    @BeforeAll
    static void startChain() {
        int echoPort = FreePorts.next();
        innerPort = FreePorts.next();
        outerPort = FreePorts.next();
        echo = JavaProcess.echoBackend("nonce-echo", echoPort);
        inner = JavaProcess.gateway(
                "inner", "ws://127.0.0.1:" + echoPort, innerPort, FreePorts.next(), List.of(), keepalive());
        outer = JavaProcess.gateway(
                "outer", "ws://127.0.0.1:" + innerPort, outerPort, FreePorts.next(), List.of(), keepalive());
        echo.awaitStarted();
        inner.awaitStarted();
        outer.awaitStarted();
    }

    private static String[] keepalive() {
        return new String[] {
            "--wsgate.session.ping-interval=" + PING_INTERVAL.toMillis() + "ms",
            "--wsgate.session.pong-timeout=" + PONG_TIMEOUT.toMillis() + "ms"
        };
    }

    @AfterAll
    static void stopChain() {
        for (JavaProcess process : new JavaProcess[] {outer, inner, echo}) {
            if (process != null) {
                process.close();
            }
        }
    }

    @Test
    void twoGatewaysInARowKeepAQuietSessionAliveThroughManyPingIntervals() throws InterruptedException {
        // client → outer (/outer/** stripped) → inner (/inner/** stripped) → echo; every hop pings both its legs.
        JdkWebSocketClient client =
                JdkWebSocketClient.connect(URI.create("ws://127.0.0.1:" + outerPort + "/outer/inner/chain"));
        client.sendText("hello");
        assertThat(client.nextText()).isEqualTo("HELLO");
        // Ten ping intervals: each gateway must see the pongs to its own pings, not the other's.
        Thread.sleep(PING_INTERVAL.multipliedBy(10).toMillis());
        client.sendText("still here");
        assertThat(client.nextText()).isEqualTo("STILL HERE");
        assertThat(client.close(1000, "done").code()).isEqualTo(1000);
    }

    @Test
    void aPongTheClientMadeUpDoesNotSilenceItsPongTimeout() {
        // Straight to one gateway, whose echo backend answers its pings: only the client's pongs are in question.
        try (RawWebSocket ws = RawWebSocket.connect(innerPort, "/inner/made-up")) {
            assertThat(ws.handshake().status()).isEqualTo(101);
            // Never answers the gateway's pings; sends pongs that look like answers instead, in the old payload
            // format and with a guessed nonce.
            String[] madeUp = {"wsgate-keepalive:999999999", "wsgate-keepalive:0123456789abcdef:1"};
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            for (int i = 0; System.nanoTime() < deadline; i++) {
                ws.send(RawWebSocket.PONG, madeUp[i % 2].getBytes(StandardCharsets.US_ASCII));
                RawWebSocket.Frame frame = ws.readFrame();
                if (frame.opcode() == RawWebSocket.CLOSE) {
                    assertThat(frame.closeCode()).isEqualTo(1001);
                    assertThat(frame.closeReason()).isEqualTo("client not responding");
                    return;
                }
            }
            throw new AssertionError("the made-up pongs kept the session open for 20 s");
        }
    }
}
