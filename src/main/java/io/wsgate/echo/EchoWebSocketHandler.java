package io.wsgate.echo;

import java.util.Locale;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Mono;

/**
 * The bundled backend: answers each text message uppercased and each binary message with the same
 * bytes, the role the classic Node.js echo server played behind httpd.
 *
 * <p>Replies are sent as the client reads them: {@code send} requests the next inbound message only
 * when the outbound can take one, so a slow reader stops this handler reading instead of growing a
 * queue. Reactor Netty answers pings and replies to a close frame with the client's own code.
 */
public class EchoWebSocketHandler implements WebSocketHandler {

    @Override
    public Mono<Void> handle(WebSocketSession session) {
        return session.send(session.receive().mapNotNull(message -> reply(session, message)));
    }

    private static WebSocketMessage reply(WebSocketSession session, WebSocketMessage message) {
        return switch (message.getType()) {
            case TEXT -> session.textMessage(message.getPayloadAsText().toUpperCase(Locale.ROOT));
            // Reactor Netty releases the inbound buffer after this callback; the reply holds its own reference.
            case BINARY ->
                new WebSocketMessage(
                        WebSocketMessage.Type.BINARY, message.retain().getPayload());
            case PING, PONG -> null;
        };
    }
}
