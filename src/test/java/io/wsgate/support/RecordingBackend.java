package io.wsgate.support;

import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Duration;
import java.util.List;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * A backend to run as its own process ({@link JavaProcess}): echoes text and binary messages unchanged and
 * prints one line per event, so that a test can see from outside what reached the backend's end of each
 * session: {@code open <uri>}, {@code close <uri> <code>} for a close frame received, {@code gone <uri>} when
 * the TCP connection ended. Argument: the port.
 */
public final class RecordingBackend {

    private static final int MAX_MESSAGE = 2 * 1024 * 1024;

    private RecordingBackend() {}

    public static void main(String[] args) {
        DisposableServer server = HttpServer.create()
                .host("127.0.0.1")
                .port(Integer.parseInt(args[0]))
                .handle((request, response) -> {
                    String uri = request.uri();
                    return response.sendWebsocket(
                            (in, out) -> {
                                System.out.println("open " + uri);
                                in.receiveCloseStatus()
                                        .subscribe(status -> System.out.println("close " + uri + " " + status.code()));
                                in.withConnection(
                                        connection -> connection.onDispose(() -> System.out.println("gone " + uri)));
                                return out.sendObject(in.aggregateFrames(MAX_MESSAGE)
                                        .receiveFrames()
                                        .filter(RecordingBackend::isData)
                                        .map(WebSocketFrame::retain));
                            },
                            WebsocketServerSpec.builder()
                                    .maxFramePayloadLength(MAX_MESSAGE)
                                    .build());
                })
                .bindNow();
        System.out.println("listening on " + server.port());
        server.onDispose().block();
    }

    private static boolean isData(WebSocketFrame frame) {
        return frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame;
    }

    /** Starts it as a process on {@code port} and waits until it listens. */
    public static JavaProcess start(String name, int port) {
        JavaProcess process =
                JavaProcess.start(name, List.of("-Xmx128m"), RecordingBackend.class.getName(), List.of("" + port));
        process.awaitOutput("listening on", Duration.ofSeconds(60));
        return process;
    }
}
