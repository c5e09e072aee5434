import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * The floor under the gateway, for the benchmark's {@code reactor-netty} target: a WebSocket proxy written on
 * Reactor Netty alone (the same JDK, flags and Netty/Reactor jars as the image, no Spring), doing only what nginx
 * does in the bench: answer the upgrade after the backend's 101 and copy frames both ways. No routing, meters, close
 * rules, limits or logs. What separates wsgate from it is what Spring and wsgate add; what separates it from nginx is
 * the JVM and Reactor Netty themselves.
 *
 * <pre>java -cp 'CLASSES:app/lib/*' ReactorNettyProxy PORT BACKEND_PORT</pre>
 *
 * /bench/x is proxied to ws://127.0.0.1:BACKEND_PORT/x.
 */
public final class ReactorNettyProxy {

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        String backend = "ws://127.0.0.1:" + args[1];
        // The gateway's frame limit (65,536 bytes per frame), on both legs.
        WebsocketClientSpec clientSpec =
                WebsocketClientSpec.builder().maxFramePayloadLength(65536).build();
        WebsocketServerSpec serverSpec =
                WebsocketServerSpec.builder().maxFramePayloadLength(65536).build();
        // Not pooled: an upgraded connection never returns to a pool, and Reactor Netty's default pool would stop
        // at its connection limit (the gateway's pool is elastic).
        HttpClient client = HttpClient.newConnection();
        DisposableServer server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .handle((request, response) -> {
                    String path = request.uri().startsWith("/bench") ? request.uri().substring(6) : request.uri();
                    // The backend first, the client's 101 after the backend's, as wsgate and nginx do.
                    return client.websocket(clientSpec)
                            .uri(backend + path)
                            .handle((backendIn, backendOut) -> {
                                // The client's upgrade completes at its 101 and runs the relay apart: keep the
                                // backend's handler (and so its connection) until the relay has ended.
                                Sinks.Empty<Void> relayed = Sinks.empty();
                                return response.sendWebsocket(
                                                (clientIn, clientOut) -> Mono.when(
                                                                backendOut
                                                                        .sendObject(clientIn.receiveFrames()
                                                                                .map(WebSocketFrame::retain))
                                                                        .then(),
                                                                clientOut
                                                                        .sendObject(backendIn.receiveFrames()
                                                                                .map(WebSocketFrame::retain))
                                                                        .then())
                                                        .doFinally(signal -> relayed.tryEmitEmpty()),
                                                serverSpec)
                                        .then(relayed.asMono());
                            })
                            .then();
                })
                .bindNow();
        System.out.println("reactor-netty proxy on " + server.port());
        server.onDispose().block();
    }
}
