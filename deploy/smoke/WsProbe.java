import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Opens {@code count} WebSocket sessions at {@code <base>session-<n>}, sends {@code hello <n>} on each
 * and prints each reply, then keeps the sessions open until a line (or end of input) arrives on standard
 * input, so that their connections can be inspected (single-file program, JDK only):
 * {@code java deploy/smoke/WsProbe.java ws://127.0.0.1:8080/ws/ 4}. Every wait is bounded by 30 s.
 */
public class WsProbe {

    public static void main(String[] args) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<WebSocket> sessions = new ArrayList<>();
        for (int n = 1; n <= Integer.parseInt(args[1]); n++) {
            CompletableFuture<String> reply = new CompletableFuture<>();
            StringBuilder text = new StringBuilder();
            WebSocket socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create(args[0] + "session-" + n), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                            text.append(data);
                            if (last) {
                                reply.complete(text.toString());
                            }
                            ws.request(1);
                            return null;
                        }
                    })
                    .get(30, TimeUnit.SECONDS);
            socket.sendText("hello " + n, true).get(30, TimeUnit.SECONDS);
            System.out.println("hello " + n + " -> " + reply.get(30, TimeUnit.SECONDS));
            sessions.add(socket);
        }
        System.out.println("open");
        System.in.read();
        for (WebSocket socket : sessions) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(30, TimeUnit.SECONDS);
        }
    }
}
