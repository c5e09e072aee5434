package io.wsgate.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.wsgate.support.JdkWebSocketClient;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps clients sending a text message every few milliseconds, so that a fault strikes mid-stream. Sends to a
 * session that is gone fail quietly.
 */
final class BackgroundTraffic implements AutoCloseable {

    /** Stands for a TCP reset instead of a close code. */
    static final int RESET = -1;

    private final AtomicBoolean running = new AtomicBoolean(true);

    private final CompletableFuture<Void> loop;

    private BackgroundTraffic(List<JdkWebSocketClient> clients, long everyMillis) {
        this.loop = CompletableFuture.runAsync(() -> {
            while (this.running.get()) {
                clients.forEach(
                        client -> client.webSocket().sendText("streaming", true).exceptionally(ex -> null));
                pause(everyMillis);
            }
        });
    }

    /** Starts the traffic and lets it run for a moment before returning. */
    static BackgroundTraffic start(List<JdkWebSocketClient> clients, long everyMillis) {
        BackgroundTraffic traffic = new BackgroundTraffic(clients, everyMillis);
        pause(300);
        return traffic;
    }

    /**
     * The close code a client got, or {@link #RESET} when its connection was reset first: Reactor Netty's own close
     * closes TCP right after the close frame, and client data still unread turns that into a reset that can discard
     * the frame at the client. wsgate half-closes instead ({@code proxy/ClientLegClose}); a RESET fails the tests.
     */
    static int closeOrReset(JdkWebSocketClient client) {
        try {
            return client.awaitClose().code();
        } catch (CompletionException ex) {
            assertThat(ex).hasRootCauseInstanceOf(IOException.class);
            return RESET;
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws Exception {
        this.running.set(false);
        this.loop.get(30, TimeUnit.SECONDS);
    }
}
