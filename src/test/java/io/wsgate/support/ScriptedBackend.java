package io.wsgate.support;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * A Reactor Netty WebSocket backend that does on command what the echo never does, so the relay's handling
 * of it can be observed: text {@code close:CODE:REASON} closes with that status, {@code die} drops the TCP
 * connection without a close frame ({@code reset}: with a TCP reset), {@code stream:N:SIZE} sends N binary messages
 * of SIZE bytes as fast as they are taken, pings are answered with a pong of {@code backend:} plus the payload (the payload alone if that
 * would exceed 125 bytes),
 * other messages come back unchanged. Path {@code /status/N} refuses the handshake with status N; path
 * {@code /chat} speaks subprotocol {@code v2.chat} only (offered others, Reactor Netty answers 101 without one and
 * never runs the session); path {@code /select/NAME} answers 101 selecting
 * subprotocol NAME whatever the client offered (a broken backend); path {@code /http} answers a plain HTTP 200
 * (keeping the connection); other paths select none. Each request's headers and the close it received
 * are recorded under its query parameter {@code t}, so tests sharing the backend don't see each other's.
 */
public final class ScriptedBackend implements AutoCloseable {

    private static final int MAX_MESSAGE = 2 * 1024 * 1024;

    private static final String CLOSE_RECORDER = "scripted.closes";

    /** What the backend puts before a ping's payload in its pong. */
    public static final String PONG_PREFIX = "backend:";

    private final Map<String, Recorded> sessions = new ConcurrentHashMap<>();

    private final AtomicInteger openSessions = new AtomicInteger();

    private final DisposableServer server;

    private ScriptedBackend() {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle(this::handle)
                .bindNow();
    }

    public static ScriptedBackend start() {
        return new ScriptedBackend();
    }

    public int port() {
        return this.server.port();
    }

    public int openSessions() {
        return this.openSessions.get();
    }

    /**
     * What the backend saw of the request tagged {@code t}: the handshake headers, the connection's remote
     * address, each whole message (and ping) in arrival order, the close it received (Reactor Netty's view), the end
     * of its connection, every close frame that came off the wire and how many frames followed the first of them;
     * and how many frames but closes the backend itself sent after a close frame of its own (what {@link #closeWith}
     * does not stop); and the request's URI (path and query) as the backend got it.
     */
    public record Recorded(
            HttpHeaders handshake,
            InetSocketAddress remoteAddress,
            List<Received> messages,
            CompletableFuture<WebSocketCloseStatus> close,
            CompletableFuture<Connection> connection,
            CompletableFuture<Void> disconnected,
            List<CloseFrame> closeFrames,
            AtomicInteger framesAfterClose,
            AtomicInteger framesSentAfterClose,
            String uri) {

        public WebSocketCloseStatus awaitClose() {
            return this.close.orTimeout(30, TimeUnit.SECONDS).join();
        }

        /** The backend's connection of this session, for a test to act on at a moment of its choosing. */
        public Connection awaitConnection() {
            return this.connection.orTimeout(30, TimeUnit.SECONDS).join();
        }

        /** The backend sends a close frame with {@code code} and {@code reason} now. */
        public void closeWith(int code, String reason) {
            awaitConnection().channel().writeAndFlush(new CloseWebSocketFrame(code, reason));
        }

        /** The backend's connection ends now without a close frame: a FIN, or with {@code reset} a TCP reset. */
        public void drop(boolean reset) {
            Channel channel = awaitConnection().channel();
            if (reset) {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            }
            channel.close();
        }

        /** Waits (30 s at most) until the WebSocket connection is gone, with or without a close frame. */
        public void awaitDisconnect() {
            this.disconnected.orTimeout(30, TimeUnit.SECONDS).join();
        }
    }

    /**
     * A close frame as it came off the wire ({@code code} -1: an empty one). {@link Recorded#close()} is Reactor
     * Netty's view, which is the backend's own status when it closed first; these are what the gateway sent.
     */
    public record CloseFrame(int code, String reason) {}

    /** A message as the backend received it: {@code text}, {@code binary} or {@code ping}, and its payload. */
    public record Received(String type, byte[] payload) {

        public String text() {
            return new String(this.payload, StandardCharsets.UTF_8);
        }
    }

    /**
     * Opens a session through the gateway on {@code gatewayPort} at {@code path} (tagged {@code tag} in its query),
     * checks that one message {@code tag} is echoed, closes it and returns what this backend got for it.
     */
    public Recorded echoThrough(
            int gatewayPort, String path, Map<String, String> headers, String tag, String... protocols) {
        JdkWebSocketClient client = JdkWebSocketClient.connect(
                java.net.URI.create("ws://127.0.0.1:" + gatewayPort + path), headers, protocols);
        client.sendText(tag);
        if (!tag.equals(client.nextText())) {
            throw new AssertionError("the session at " + path + " did not echo " + tag);
        }
        client.close(1000, "");
        Recorded recorded = session(tag);
        recorded.close().orTimeout(30, TimeUnit.SECONDS).join();
        return recorded;
    }

    public Recorded session(String tag) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Recorded recorded = this.sessions.get(tag);
            if (recorded != null) {
                return recorded;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new AssertionError("the scripted backend saw no request tagged " + tag + " within 30 s");
    }

    /** Drops what was recorded under {@code tag}, for tests that run many sessions. */
    public void forget(String tag) {
        this.sessions.remove(tag);
    }

    private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        Recorded recorded = new Recorded(
                request.requestHeaders().copy(),
                request.remoteAddress(),
                new CopyOnWriteArrayList<>(),
                new CompletableFuture<>(),
                new CompletableFuture<>(),
                new CompletableFuture<>(),
                new CopyOnWriteArrayList<>(),
                new AtomicInteger(),
                new AtomicInteger(),
                request.uri());
        String tag = new QueryStringDecoder(request.uri())
                .parameters()
                .getOrDefault("t", List.of(""))
                .get(0);
        this.sessions.put(tag, recorded);
        String path = request.fullPath();
        if (path.startsWith("/status/")) {
            int status = Integer.parseInt(path.substring("/status/".length()));
            return response.status(status)
                    .header("WWW-Authenticate", "Bearer realm=\"scripted\"")
                    .sendString(Mono.just("refused by the scripted backend"));
        }
        if (path.startsWith("/http")) {
            return response.sendString(Mono.just("plain http"));
        }
        WebsocketServerSpec.Builder spec =
                WebsocketServerSpec.builder().handlePing(true).maxFramePayloadLength(MAX_MESSAGE);
        if (path.startsWith("/chat")) {
            spec.protocols("v2.chat");
        }
        if (path.startsWith("/select/")) {
            // The spec names no protocol, so Netty's handshaker leaves this header as it is.
            response.header("Sec-WebSocket-Protocol", path.substring("/select/".length()));
        }
        return response.header("Set-Cookie", "backend=scripted; Path=/")
                .header("X-Backend", "scripted")
                .sendWebsocket((in, out) -> script(in, out, recorded), spec.build());
    }

    private Publisher<Void> script(WebsocketInbound in, WebsocketOutbound out, Recorded recorded) {
        this.openSessions.incrementAndGet();
        in.receiveCloseStatus().subscribe(recorded.close()::complete);
        in.withConnection(connection -> {
            // Before Reactor Netty's own handling, which answers the first close frame and hides the rest.
            connection
                    .channel()
                    .pipeline()
                    .addBefore(NettyPipeline.ReactiveBridge, CLOSE_RECORDER, closeRecorder(recorded));
            recorded.connection().complete(connection);
            connection.onDispose(() -> {
                this.openSessions.decrementAndGet();
                recorded.disconnected().complete(null);
            });
        });
        return out.sendObject(in.aggregateFrames(MAX_MESSAGE)
                .receiveFrames()
                .doOnNext(frame -> record(recorded, frame))
                .concatMap(frame -> reply(in, out, frame)));
    }

    private static ChannelDuplexHandler closeRecorder(Recorded recorded) {
        return new ChannelDuplexHandler() {

            private boolean closeSent;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof WebSocketFrame && !recorded.closeFrames().isEmpty()) {
                    recorded.framesAfterClose().incrementAndGet();
                }
                if (msg instanceof CloseWebSocketFrame close) {
                    recorded.closeFrames().add(new CloseFrame(close.statusCode(), close.reasonText()));
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof WebSocketFrame && !(msg instanceof CloseWebSocketFrame) && this.closeSent) {
                    recorded.framesSentAfterClose().incrementAndGet();
                }
                this.closeSent |= msg instanceof CloseWebSocketFrame;
                ctx.write(msg, promise);
            }
        };
    }

    private static void record(Recorded recorded, WebSocketFrame frame) {
        String type = frame instanceof TextWebSocketFrame
                ? "text"
                : frame instanceof BinaryWebSocketFrame
                        ? "binary"
                        : frame instanceof PingWebSocketFrame ? "ping" : null;
        if (type != null) {
            recorded.messages().add(new Received(type, ByteBufUtil.getBytes(frame.content())));
        }
    }

    private static Publisher<WebSocketFrame> reply(WebsocketInbound in, WebsocketOutbound out, WebSocketFrame frame) {
        if (frame instanceof PingWebSocketFrame) {
            // "backend:" shows the pong is the backend's; a ping too long for it gets its payload back as is.
            ByteBuf payload = frame.content().readableBytes() + PONG_PREFIX.length() > 125
                    ? frame.content().retain()
                    : Unpooled.copiedBuffer(
                            PONG_PREFIX + frame.content().toString(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            return Mono.just(new PongWebSocketFrame(payload));
        }
        if (frame instanceof TextWebSocketFrame textFrame) {
            String text = textFrame.text();
            if (text.startsWith("close:")) {
                String[] parts = text.split(":", 3);
                return out.sendClose(Integer.parseInt(parts[1]), parts[2]).then(Mono.empty());
            }
            if (text.equals("die")) {
                in.withConnection(connection -> connection.channel().close());
                return Mono.empty();
            }
            if (text.equals("reset")) {
                // SO_LINGER 0: the close sends a TCP reset instead of a FIN.
                in.withConnection(connection -> {
                    connection.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                    connection.channel().close();
                });
                return Mono.empty();
            }
            if (text.startsWith("stream:")) {
                String[] parts = text.split(":", 3);
                byte[] payload = new byte[Integer.parseInt(parts[2])];
                return Flux.range(0, Integer.parseInt(parts[1]))
                        .map(i -> new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)));
            }
            return Mono.just(new TextWebSocketFrame(text));
        }
        if (frame instanceof BinaryWebSocketFrame) {
            return Mono.just(new BinaryWebSocketFrame(frame.content().retain()));
        }
        return Mono.empty();
    }

    @Override
    public void close() {
        this.server.disposeNow();
    }
}
