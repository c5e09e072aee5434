import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens {@code count} WebSocket sessions at {@code <base>load-<n>} (at most 50 handshakes at a time), checks that
 * each answers {@code hello <n>} with {@code HELLO <n>}, prints {@code open <count>}, then holds them idle until the
 * server closes every one of them or {@code holdSeconds} pass, and prints how many closed with each close code
 * ({@code closed 1001 2000}) and how many are still open (single-file program, JDK only):
 * {@code java deploy/smoke/WsLoad.java ws://127.0.0.1:8080/ws/ 2000 300}. Exits 1 when a session could not be
 * opened or answered wrong; every wait is bounded.
 */
public class WsLoad {

    public static void main(String[] args) throws Exception {
        String base = args[0];
        int count = Integer.parseInt(args[1]);
        long holdSeconds = args.length > 2 ? Long.parseLong(args[2]) : 300;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        Semaphore handshakes = new Semaphore(50);
        CountDownLatch answered = new CountDownLatch(count);
        CountDownLatch closed = new CountDownLatch(count);
        Map<Integer, AtomicInteger> closeCodes = new ConcurrentHashMap<>();
        AtomicInteger failed = new AtomicInteger();
        long started = System.nanoTime();
        for (int n = 1; n <= count; n++) {
            int session = n;
            handshakes.acquire();
            CompletableFuture<String> reply = new CompletableFuture<>();
            StringBuilder text = new StringBuilder();
            http.newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(URI.create(base + "load-" + n), new WebSocket.Listener() {
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
                            closeCodes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
                            reply.complete("closed " + code);
                            closed.countDown();
                            return null; // the JDK answers the close frame
                        }

                        @Override
                        public void onError(WebSocket ws, Throwable error) {
                            closeCodes.computeIfAbsent(1006, c -> new AtomicInteger()).incrementAndGet();
                            reply.complete("error " + error);
                            closed.countDown();
                        }
                    })
                    .thenCompose(ws -> ws.sendText("hello " + session, true).thenCompose(sent -> reply))
                    .orTimeout(60, TimeUnit.SECONDS)
                    .whenComplete((answer, error) -> {
                        handshakes.release();
                        String expected = "HELLO " + session;
                        if (!expected.equals(answer)) {
                            if (failed.getAndIncrement() < 5) {
                                System.out.println("session " + session + ": expected " + expected + ", got "
                                        + (error != null ? error : answer));
                            }
                        }
                        answered.countDown();
                    });
        }
        if (!answered.await(300, TimeUnit.SECONDS) || failed.get() > 0) {
            System.out.println("failed " + failed.get() + " of " + count + " sessions");
            System.exit(1);
        }
        System.out.printf("open %d (in %.1f s)%n", count, (System.nanoTime() - started) / 1e9);
        System.out.flush();
        closed.await(holdSeconds, TimeUnit.SECONDS);
        for (Map.Entry<Integer, AtomicInteger> code : new TreeMap<>(closeCodes).entrySet()) {
            System.out.println("closed " + code.getKey() + " " + code.getValue());
        }
        System.out.println("still-open " + closed.getCount());
        System.exit(0);
    }
}
