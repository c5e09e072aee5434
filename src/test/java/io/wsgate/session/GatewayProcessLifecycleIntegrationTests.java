package io.wsgate.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.FreePorts;
import io.wsgate.support.JavaProcess;
import io.wsgate.support.RawWebSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How sessions end when the gateway runs as users run it, its own process: there the backend connection of a
 * session is opened on the client connection's event loop, so Reactor Netty's own reactions to a dying leg run at
 * once, ahead of anything the gateway schedules. A backend process killed while its clients sit idle after a round
 * trip must still give every client 1011, never the empty close frame (read as 1005) that Reactor Netty writes when
 * the other leg's receive is cancelled.
 */
class GatewayProcessLifecycleIntegrationTests {

    @Test
    void aBackendProcessKilledAfterARoundTripGivesEveryIdleClient1011() {
        int backendPort = FreePorts.next();
        int gatewayPort = FreePorts.next();
        try (JavaProcess backend = JavaProcess.echoBackend("killed-echo", backendPort);
                JavaProcess gateway = JavaProcess.gateway(
                        "killed", "ws://127.0.0.1:" + backendPort, gatewayPort, FreePorts.next(), List.of())) {
            backend.awaitStarted();
            gateway.awaitStarted();
            List<RawWebSocket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    RawWebSocket client = RawWebSocket.connect(gatewayPort, "/killed/idle-" + i);
                    assertThat(client.handshake().status()).isEqualTo(101);
                    client.sendText("hello " + i);
                    assertThat(client.readFrame().text()).isEqualTo("HELLO " + i);
                    clients.add(client);
                }
                backend.kill();
                for (RawWebSocket client : clients) {
                    RawWebSocket.Frame close = client.awaitClose();
                    assertThat(close.closeCode())
                            .as("close code, reason '%s'", close.closeReason())
                            .isEqualTo(1011);
                    assertThat(close.closeReason()).isEqualTo("backend connection lost");
                    client.sendClose(1011, "");
                    assertThat(client.awaitEndOfStream()).isTrue();
                }
            } finally {
                clients.forEach(RawWebSocket::close);
            }
        }
    }
}
