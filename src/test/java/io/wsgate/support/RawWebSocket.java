package io.wsgate.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client at the frame level over a plain socket (RFC 6455 section 5), for conformance tests: it
 * sends what well-behaved clients never do (unmasked frames, reserved bits and opcodes, fragmented or
 * oversized control frames, invalid UTF-8, any close payload) and reads back every frame as it arrives.
 */
public final class RawWebSocket implements AutoCloseable {

    public static final int CONTINUATION = 0x0;

    public static final int TEXT = 0x1;

    public static final int BINARY = 0x2;

    public static final int CLOSE = 0x8;

    public static final int PING = 0x9;

    public static final int PONG = 0xA;

    private static final int TIMEOUT_MILLIS = 30_000;

    private final Socket socket;

    private final DataInputStream in;

    private final OutputStream out;

    private final RawHttp.Response handshake;

    /** A frame as received; {@code rsv} holds the three reserved bits (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
    public record Frame(boolean fin, int rsv, int opcode, byte[] payload) {

        public String text() {
            return new String(this.payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame, 1005 when it has none. */
        public int closeCode() {
            return this.payload.length >= 2 ? ((this.payload[0] & 0xFF) << 8) | (this.payload[1] & 0xFF) : 1005;
        }

        public String closeReason() {
            return this.payload.length > 2
                    ? new String(this.payload, 2, this.payload.length - 2, StandardCharsets.UTF_8)
                    : "";
        }

        @Override
        public String toString() {
            String shown = this.opcode == CLOSE ? closeCode() + " " + closeReason() : this.payload.length + "B";
            return "Frame[fin=" + this.fin + ", rsv=" + this.rsv + ", opcode=" + this.opcode + ", " + shown + "]";
        }
    }

    private RawWebSocket(Socket socket, RawHttp.Response handshake) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.handshake = handshake;
    }

    /**
     * Sends a valid upgrade for {@code path} plus {@code extraHeaders} ("Name: value") and reads the answer's
     * head; the connection is open whatever the status, so a test can check a refusal too.
     */
    public static RawWebSocket connect(int port, String path, String... extraHeaders) {
        return connect(port, path, 0, extraHeaders);
    }

    /**
     * As {@link #connect(int, String, String...)}, with the socket's receive buffer set to {@code receiveBuffer}
     * bytes (0: the system's default), so that a client that stops reading fills it quickly.
     */
    public static RawWebSocket connect(int port, String path, int receiveBuffer, String... extraHeaders) {
        return connect(null, port, path, receiveBuffer, extraHeaders);
    }

    /**
     * As {@link #connect(int, String, String...)}, from the local address {@code from} (any of 127.0.0.0/8 on
     * Linux), so that one test can be several clients.
     */
    public static RawWebSocket connectFrom(java.net.InetAddress from, int port, String path, String... extraHeaders) {
        return connect(from, port, path, 0, extraHeaders);
    }

    /** As {@link #connectFrom(java.net.InetAddress, int, String, String...)}, from a literal address like "127.0.0.7". */
    public static RawWebSocket connectFrom(String source, int port, String path, String... extraHeaders) {
        try {
            return connectFrom(java.net.InetAddress.getByName(source), port, path, extraHeaders);
        } catch (java.net.UnknownHostException ex) {
            throw new IllegalArgumentException(source, ex);
        }
    }

    private static RawWebSocket connect(
            java.net.InetAddress from, int port, String path, int receiveBuffer, String... extraHeaders) {
        try {
            Socket socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            if (from != null) {
                socket.bind(new java.net.InetSocketAddress(from, 0));
            }
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            List<String> lines = new ArrayList<>(List.of(RawHttp.upgradeRequest(path)));
            lines.addAll(List.of(extraHeaders));
            socket.getOutputStream()
                    .write((String.join("\r\n", lines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return new RawWebSocket(socket, RawHttp.readHead(socket.getInputStream()));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The handshake answer. */
    public RawHttp.Response handshake() {
        return this.handshake;
    }

    /** Sends one masked final frame without reserved bits. */
    public RawWebSocket send(int opcode, byte[] payload) {
        return send(true, 0, opcode, payload, true);
    }

    public RawWebSocket sendText(String text) {
        return send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public RawWebSocket sendPing(String payload) {
        return send(PING, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** A close frame with {@code code} and {@code reason}. */
    public RawWebSocket sendClose(int code, String reason) {
        return send(CLOSE, closePayload(code, reason.getBytes(StandardCharsets.UTF_8)));
    }

    /** The payload of a close frame: the code in two bytes, then the reason bytes as given. */
    public static byte[] closePayload(int code, byte[] reason) {
        return ByteBuffer.allocate(2 + reason.length)
                .putShort((short) code)
                .put(reason)
                .array();
    }

    /** Sends any frame: {@code masked} false gives what only a server may send. */
    public RawWebSocket send(boolean fin, int rsv, int opcode, byte[] payload, boolean masked) {
        writeRaw(encode(fin, rsv, opcode, payload, masked));
        return this;
    }

    /** Writes bytes as they are, e.g. a frame split across several writes. */
    public RawWebSocket writeRaw(byte[] bytes) {
        try {
            this.out.write(bytes);
            this.out.flush();
            return this;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Writes {@code bytes} in pieces of {@code chunk} bytes, each flushed on its own (Autobahn's "chops"). */
    public RawWebSocket writeChopped(byte[] bytes, int chunk) {
        for (int from = 0; from < bytes.length; from += chunk) {
            writeRaw(java.util.Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + chunk)));
        }
        return this;
    }

    /** One frame on the wire (RFC 6455 section 5.2). */
    public static byte[] encode(boolean fin, int rsv, int opcode, byte[] payload, boolean masked) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xF));
        int maskBit = masked ? 0x80 : 0;
        if (payload.length <= 125) {
            frame.write(maskBit | payload.length);
        } else if (payload.length <= 0xFFFF) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        } else {
            frame.write(maskBit | 127);
            frame.writeBytes(ByteBuffer.allocate(8).putLong(payload.length).array());
        }
        if (!masked) {
            frame.writeBytes(payload);
            return frame.toByteArray();
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.writeBytes(mask);
        byte[] maskedPayload = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            maskedPayload[i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        frame.writeBytes(maskedPayload);
        return frame.toByteArray();
    }

    /** The next frame, waiting at most 30 s; fails if the connection ends first. */
    public Frame readFrame() {
        try {
            int first = this.in.readUnsignedByte();
            int second = this.in.readUnsignedByte();
            long length = second & 0x7F;
            if (length == 126) {
                length = this.in.readUnsignedShort();
            } else if (length == 127) {
                length = this.in.readLong();
            }
            byte[] mask = null;
            if ((second & 0x80) != 0) {
                mask = new byte[4];
                this.in.readFully(mask);
            }
            byte[] payload = new byte[Math.toIntExact(length)];
            this.in.readFully(payload);
            if (mask != null) {
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i % 4];
                }
            }
            return new Frame((first & 0x80) != 0, (first >>> 4) & 0x7, first & 0xF, payload);
        } catch (EOFException ex) {
            throw new AssertionError("the connection ended before the next frame", ex);
        } catch (SocketTimeoutException ex) {
            throw new AssertionError("no frame within " + TIMEOUT_MILLIS + " ms", ex);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Reads frames up to a close frame and returns it; data frames on the way are skipped. */
    public Frame awaitClose() {
        while (true) {
            Frame frame = readFrame();
            if (frame.opcode() == CLOSE) {
                return frame;
            }
        }
    }

    /** Whether the server ended the TCP connection: true on end of stream (or reset) within 30 s. */
    public boolean awaitEndOfStream() {
        try {
            while (this.in.read() >= 0) {
                // Skip whatever came after the close frame.
            }
            return true;
        } catch (SocketTimeoutException ex) {
            return false;
        } catch (IOException ex) {
            return true;
        }
    }

    /** Half-closes: a FIN to the gateway, without a close frame. */
    public void shutdownOutput() {
        try {
            this.socket.shutdownOutput();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Ends the connection with a TCP reset, without a close frame. */
    public void reset() {
        try {
            this.socket.setSoLinger(true, 0);
            this.socket.close();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        try {
            this.socket.close();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
