package io.wsgate.echo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket round trip from the command line, JDK only, for the Helm chart's {@code helm test} Pod, which runs it
 * from the image's own {@code application.jar} (the image has a JRE, so no source-file launch):
 * {@code java -cp application.jar io.wsgate.echo.EchoProbe ws://wsgate:8080/ws/helm-test "hello" "HELLO"}.
 * Connects, sends the message, waits for one text reply, compares it with the expected text when one is given,
 * closes with 1000. Exit status 0 on success, 1 with the reason on standard error otherwise. Every wait is bounded.
 */
public final class EchoProbe {

    static final Duration TIMEOUT = Duration.ofSeconds(15);

    private EchoProbe() {}

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: EchoProbe <ws-url> <message> [<expected reply>]");
            System.exit(2);
        }
        try {
            String reply = roundTrip(URI.create(args[0]), args[1]);
            if (args.length == 3 && !args[2].equals(reply)) {
                System.err.println("FAIL " + args[0] + ": sent \"" + args[1] + "\", expected \"" + args[2]
                        + "\", got \"" + reply + "\"");
                System.exit(1);
            }
            System.out.println("OK " + args[0] + ": \"" + args[1] + "\" -> \"" + reply + "\"");
        } catch (Exception ex) {
            System.err.println("FAIL " + args[0] + ": " + ex);
            System.exit(1);
        }
    }

    /** Sends {@code message} on a new session to {@code uri} and returns the first text reply. */
    static String roundTrip(URI uri, String message) throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        WebSocket socket = HttpClient.newBuilder()
                .connectTimeout(TIMEOUT)
                .build()
                .newWebSocketBuilder()
                .connectTimeout(TIMEOUT)
                .buildAsync(uri, new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            reply.complete(text.toString());
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                        reply.completeExceptionally(
                                new IllegalStateException("closed with " + code + " " + reason + " before a reply"));
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        reply.completeExceptionally(error);
                    }
                })
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        socket.sendText(message, true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        String answer = reply.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        return answer;
    }
}
