package io.wsgate.support;

import static io.wsgate.support.Gateway.TIMEOUT;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test client on the JDK's {@code java.net.http.WebSocket}: collects whole messages and the close frame,
 * with every wait bounded.
 */
public final class JdkWebSocketClient implements WebSocket.Listener {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();

    private final CompletableFuture<Close> close = new CompletableFuture<>();

    private final StringBuilder text = new StringBuilder();

    private ByteBuffer binary = ByteBuffer.allocate(0);

    private final boolean autoRequest;

    private WebSocket webSocket;

    private JdkWebSocketClient(boolean autoRequest) {
        this.autoRequest = autoRequest;
    }

    /** A received close frame. */
    public record Close(int code, String reason) {}

    public static JdkWebSocketClient connect(URI uri, String... protocols) {
        return connect(uri, true, protocols);
    }

    /** Connects; with {@code autoRequest} false nothing is read until {@link #request(long)}. */
    public static JdkWebSocketClient connect(URI uri, boolean autoRequest, String... protocols) {
        return connect(HTTP, uri, autoRequest, protocols);
    }

    /** Connects with {@code http} (its TLS settings, for {@code wss://}). */
    public static JdkWebSocketClient connect(HttpClient http, URI uri, boolean autoRequest, String... protocols) {
        JdkWebSocketClient client = new JdkWebSocketClient(autoRequest);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(TIMEOUT);
        if (protocols.length > 0) {
            builder.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
        }
        client.webSocket =
                builder.buildAsync(uri, client).orTimeout(30, TimeUnit.SECONDS).join();
        return client;
    }

    /** Connects sending {@code headers} with the upgrade request. */
    public static JdkWebSocketClient connect(URI uri, java.util.Map<String, String> headers, String... protocols) {
        JdkWebSocketClient client = new JdkWebSocketClient(true);
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        headers.forEach(builder::header);
        if (protocols.length > 0) {
            builder.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
        }
        client.webSocket =
                builder.buildAsync(uri, client).orTimeout(30, TimeUnit.SECONDS).join();
        return client;
    }

    /** Connects with one extra request header, as a client that identifies itself does. */
    public static JdkWebSocketClient connectWithHeader(URI uri, String name, String value) {
        return connect(uri, java.util.Map.of(name, value));
    }

    /** Connects, sends one text message and returns the first reply, closing normally after it. */
    public static String replyTo(URI uri, String text) {
        JdkWebSocketClient client = connect(uri);
        client.sendText(text);
        String reply = client.nextText();
        client.close(1000, "");
        return reply;
    }

    /** The handshake error of a refused connection, as the JDK reports it. */
    public static Throwable connectFailure(URI uri) {
        return connectFailure(HTTP, uri);
    }

    /** The handshake error of a refused connection made with {@code http}. */
    public static Throwable connectFailure(HttpClient http, URI uri) {
        try {
            connect(http, uri, true);
        } catch (RuntimeException ex) {
            return ex.getCause() != null ? ex.getCause() : ex;
        }
        throw new AssertionError("handshake to " + uri + " succeeded");
    }

    public WebSocket webSocket() {
        return this.webSocket;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        if (this.autoRequest) {
            webSocket.request(1);
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        this.text.append(data);
        if (last) {
            this.messages.add(this.text.toString());
            this.text.setLength(0);
        }
        requestMore(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        ByteBuffer joined = ByteBuffer.allocate(this.binary.remaining() + data.remaining());
        joined.put(this.binary).put(data).flip();
        this.binary = joined;
        if (last) {
            this.messages.add(this.binary);
            this.binary = ByteBuffer.allocate(0);
        }
        requestMore(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        this.messages.add(new Pong(message));
        requestMore(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        this.close.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        this.close.completeExceptionally(error);
    }

    private void requestMore(WebSocket webSocket) {
        if (this.autoRequest) {
            webSocket.request(1);
        }
    }

    /** A received pong frame. */
    public record Pong(ByteBuffer payload) {}

    public void request(long n) {
        this.webSocket.request(n);
    }

    public void sendText(String message) {
        this.webSocket.sendText(message, true).orTimeout(30, TimeUnit.SECONDS).join();
    }

    public void sendBinary(ByteBuffer message) {
        this.webSocket.sendBinary(message, true).orTimeout(30, TimeUnit.SECONDS).join();
    }

    public Object nextMessage() {
        try {
            Object message = this.messages.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (message == null) {
                throw new AssertionError("no message within " + TIMEOUT);
            }
            return message;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    public String nextText() {
        return (String) nextMessage();
    }

    public Close close(int code, String reason) {
        this.webSocket.sendClose(code, reason).orTimeout(30, TimeUnit.SECONDS).join();
        return awaitClose();
    }

    public Close awaitClose() {
        return this.close.orTimeout(30, TimeUnit.SECONDS).join();
    }

    /** Drops the TCP connection without a close frame. */
    public void abort() {
        this.webSocket.abort();
    }
}
