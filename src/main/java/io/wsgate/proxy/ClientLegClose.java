package io.wsgate.proxy;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Closes the client leg when the gateway (not the client) ends a session, so that a client that is still sending
 * sees the close frame. Reactor Netty's own close writes the frame and closes the TCP connection at once; with
 * client data still unread the kernel then sends a reset, and the client may lose the close frame with it. Here
 * the frame is followed by a half-close (FIN), and the connection is closed when the client answers or after
 * {@link #LINGER}.
 */
final class ClientLegClose {

    /** Longest wait for the client's close after the gateway's close frame and FIN. */
    static final Duration LINGER = Duration.ofSeconds(2);

    private ClientLegClose() {}

    /** {@code channel}: the client's connection, or null where it is not known (then Reactor Netty's close). */
    static Mono<Void> close(WebSocketSession client, Channel channel, CloseStatus status) {
        if (!client.isOpen()) {
            return Mono.empty();
        }
        if (channel == null) {
            return client.close(status);
        }
        Sinks.Empty<Void> written = Sinks.empty();
        channel.eventLoop()
                .execute(() -> halfClose(channel, status.getCode(), status.getReason(), written::tryEmitEmpty));
        return written.asMono();
    }

    /**
     * On the channel's event loop: writes the close frame, then half-closes and closes after {@link #LINGER};
     * {@code written} runs once the frame is out (or the channel was already gone). Also used by
     * {@link ClientFrameCheck} for the closes it answers invalid frames with.
     */
    static void halfClose(Channel channel, int code, String reason, Runnable written) {
        if (!channel.isActive()) {
            written.run();
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(future -> {
            if (future.isSuccess() && channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
                channel.eventLoop().schedule(() -> channel.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                channel.close();
            }
            written.run();
        });
    }
}
