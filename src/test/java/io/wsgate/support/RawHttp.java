package io.wsgate.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Sends a hand-written HTTP request over a socket and reads the status line and headers, for requests that
 * HTTP client libraries refuse to send (bad upgrades, wrong versions).
 */
public final class RawHttp {

    private RawHttp() {}

    /** A response head: status code and headers (names lowercased). */
    public record Response(int status, Map<String, String> headers) {

        public String header(String name) {
            return this.headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A valid upgrade request for {@code path}: the classic hand-made one, key and all, plus {@code headers}. */
    public static String[] upgradeRequest(String path, String... headers) {
        String[] request = {
            "GET " + path + " HTTP/1.1",
            "Host: localhost",
            "Connection: Upgrade",
            "Upgrade: websocket",
            "Sec-WebSocket-Key: lkUx3lTpjFwO5OI7xY3+1Q==",
            "Sec-WebSocket-Version: 13"
        };
        String[] withHeaders = Arrays.copyOf(request, request.length + headers.length);
        System.arraycopy(headers, 0, withHeaders, request.length, headers.length);
        return withHeaders;
    }

    /** Sends {@code request} (lines joined with CRLF, ended by an empty line) and reads the response head. */
    public static Response exchange(int port, String... requestLines) throws IOException {
        return exchange(InetAddress.getLoopbackAddress(), new byte[0], port, requestLines);
    }

    /**
     * Like {@link #exchange(int, String...)}, from the local address {@code from} (any of 127.0.0.0/8 on Linux)
     * and with {@code preamble} (a PROXY protocol header, say) sent before the request.
     */
    public static Response exchange(InetAddress from, byte[] preamble, int port, String... requestLines)
            throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port, from, 0)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(preamble);
            out.write((String.join("\r\n", requestLines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return readHead(socket.getInputStream());
        }
    }

    /** The status a valid upgrade for {@code path} with {@code headers} gets, sent from {@code from}. */
    public static int upgradeStatus(InetAddress from, int port, String path, String... headers) throws IOException {
        return exchange(from, new byte[0], port, upgradeRequest(path, headers)).status();
    }

    /**
     * Like {@link #exchange(InetAddress, byte[], int, String...)}, for a server expected to close the connection
     * without answering: whether it did (end of stream or a reset, rather than a response).
     */
    public static boolean closedWithoutAnswer(InetAddress from, byte[] preamble, int port, String... requestLines)
            throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port, from, 0)) {
            socket.setSoTimeout(30_000);
            try {
                OutputStream out = socket.getOutputStream();
                out.write(preamble);
                out.write((String.join("\r\n", requestLines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return socket.getInputStream().read() == -1;
            } catch (SocketException reset) {
                return true;
            }
        }
    }

    /**
     * Reads the body of {@code response} from {@code in} (by its {@code Content-Length}, or chunked), leaving the
     * stream at the next response of a keep-alive connection.
     */
    public static byte[] readBody(InputStream in, Response response) throws IOException {
        String length = response.header("content-length");
        if (length != null) {
            return in.readNBytes(Integer.parseInt(length));
        }
        if (!"chunked".equalsIgnoreCase(response.header("transfer-encoding"))) {
            return new byte[0];
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = readLine(in);
            int semicolon = size.indexOf(';');
            int chunk = Integer.parseInt((semicolon >= 0 ? size.substring(0, semicolon) : size).trim(), 16);
            if (chunk == 0) {
                // Trailers, if any, up to the empty line.
                while (!readLine(in).isEmpty()) {}
                return body.toByteArray();
            }
            body.write(in.readNBytes(chunk));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        if (b < 0 && line.size() == 0) {
            throw new IOException("the connection ended inside a chunked body");
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads a response head from {@code in}, leaving the stream just after it (e.g. at the first frame). */
    public static Response readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == end[matched]) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        return new Response(status, headers);
    }
}
