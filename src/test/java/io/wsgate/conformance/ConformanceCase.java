package io.wsgate.conformance;

import io.wsgate.support.RawWebSocket;
import io.wsgate.support.ScriptedBackend;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * One conformance case through the gateway: what the client sends, the frames it must get back, and how the
 * session must end on both legs. {@code closeCode} {@code 0} means the traffic is valid: after the replies the
 * test itself closes with 1000 and expects 1000 on both legs.
 *
 * @param id the Autobahn|Testsuite case number where one applies, else the RFC 6455 section
 * @param title what the case sends, in Autobahn's words where it has them
 * @param send the client's frames
 * @param replies what the client must receive, in order, before the close
 * @param closeCode the close code the gateway must answer with ({@code 0}: valid traffic)
 * @param backendCloseCode the close code the backend leg must receive
 * @param gatewayFails whether the gateway fails the connection (counted as closed by the gateway)
 */
record ConformanceCase(
        String id,
        String title,
        Consumer<RawWebSocket> send,
        List<Reply> replies,
        int closeCode,
        int backendCloseCode,
        boolean gatewayFails) {

    /** A reply the client must receive; also what the scripted backend must have received for it. */
    record Reply(int opcode, byte[] sent) {

        /** The payload the client receives: the scripted backend's pong carries {@code backend:} + payload. */
        byte[] expected() {
            byte[] prefix = ScriptedBackend.PONG_PREFIX.getBytes(StandardCharsets.US_ASCII);
            if (this.opcode != RawWebSocket.PONG || prefix.length + this.sent.length > 125) {
                return this.sent;
            }
            byte[] pong = new byte[prefix.length + this.sent.length];
            System.arraycopy(prefix, 0, pong, 0, prefix.length);
            System.arraycopy(this.sent, 0, pong, prefix.length, this.sent.length);
            return pong;
        }

        /** The backend's record of the message behind this reply: text, binary or ping. */
        String backendType() {
            return switch (this.opcode) {
                case RawWebSocket.TEXT -> "text";
                case RawWebSocket.BINARY -> "binary";
                default -> "ping";
            };
        }
    }

    static Reply text(byte[] payload) {
        return new Reply(RawWebSocket.TEXT, payload);
    }

    static Reply text(String text) {
        return text(utf8(text));
    }

    static Reply binary(byte[] payload) {
        return new Reply(RawWebSocket.BINARY, payload);
    }

    /** The backend's pong to a ping with {@code payload}, relayed through the gateway. */
    static Reply pong(String payload) {
        return new Reply(RawWebSocket.PONG, utf8(payload));
    }

    /** Valid traffic: relayed exactly, then a normal close on both legs. */
    static ConformanceCase relays(String id, String title, Consumer<RawWebSocket> send, Reply... replies) {
        return new ConformanceCase(id, title, send, List.of(replies), 0, 1000, false);
    }

    /**
     * Invalid traffic: the gateway closes the client with {@code code} and the backend leg with 1001 (the client
     * went away; the client's error is not the backend's). {@code replies}: the valid messages sent before the
     * error, which the backend must receive.
     */
    static ConformanceCase fails(String id, String title, int code, Consumer<RawWebSocket> send, Reply... replies) {
        return new ConformanceCase(id, title, send, List.of(replies), code, 1001, true);
    }

    /** The client closes: the gateway answers {@code code}, and the backend leg gets {@code backendCode}. */
    static ConformanceCase closes(String id, String title, int code, int backendCode, Consumer<RawWebSocket> send) {
        return new ConformanceCase(id, title, send, List.of(), code, backendCode, false);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    static byte[] bytes(int length) {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) (i * 31 + 7);
        }
        return payload;
    }

    static byte[] ascii(int length) {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) ('*' + i % 80);
        }
        return payload;
    }

    @Override
    public String toString() {
        return this.id + " " + this.title;
    }
}
