package io.wsgate.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Raw client sockets upgraded through the gateway, for clients that misbehave below the WebSocket API. */
final class UpgradedSockets {

    private UpgradedSockets() {}

    /** A socket that got {@code 101} for {@code path}, positioned at the first frame. */
    static Socket open(int port, String path) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write((String.join("\r\n", RawHttp.upgradeRequest(path)) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertThat(RawHttp.readHead(socket.getInputStream()).status()).isEqualTo(101);
        return socket;
    }
}
