package io.wsgate.lb;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * A client as a well-behaved application writes one: it holds one WebSocket session, sends numbered text messages
 * ({@code c<id>-<n>}) at a steady rate and checks each echo, and when its session ends it reconnects after a
 * jittered exponential backoff ("full jitter": a random delay up to {@code base × 2^attempt}, capped), the attempt
 * count reset by an echo.
 *
 * <p>The oracle per session: each message sent was echoed back, or the session ended with a close frame from the
 * gateway before its echo (the client was told, and resends what it must). A session that ends without a close
 * frame while messages are unanswered lost them silently.
 */
final class ReconnectingClient {

    private static final Duration BACKOFF_BASE = Duration.ofMillis(100);

    private static final Duration BACKOFF_CAP = Duration.ofSeconds(5);

    private final int id;

    private final HttpClient http;

    private final String uri;

    private final Duration interval;

    private final Tally tally;

    private final AtomicInteger nextSequence = new AtomicInteger();

    private final AtomicReference<Session> current = new AtomicReference<>();

    private volatile boolean stopping;

    private volatile long lastEchoNanos;

    /** Set when a session ended: the last echo before it, so that the first echo after gives the gap. */
    private volatile long gapSinceNanos;

    private volatile int attempt;

    private Disposable loop;

    /** Counts over every client; the driver reads them. */
    static final class Tally {

        final AtomicLong sent = new AtomicLong();

        final AtomicLong echoed = new AtomicLong();

        final AtomicLong sessions = new AtomicLong();

        /** Sessions that ended with a close frame from the gateway, by code and reason. */
        final Map<String, AtomicLong> closes = new ConcurrentHashMap<>();

        /** Sessions that ended without a close frame (a failure whatever was in flight). */
        final AtomicLong endedWithoutClose = new AtomicLong();

        /** What each failed session looked like, for the report (the first few). */
        final java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();

        final long startNanos = System.nanoTime();

        /** Messages unanswered when their session ended with a close frame: the client was told. */
        final AtomicLong unansweredButTold = new AtomicLong();

        /** Messages unanswered when their session ended without a close frame: lost silently. */
        final AtomicLong lostSilently = new AtomicLong();

        /** Echoes of a message not sent on that session, or twice. */
        final AtomicLong unexpectedEchoes = new AtomicLong();

        /** Handshakes that failed, by what the client saw (status or exception). */
        final Map<String, AtomicLong> handshakeFailures = new ConcurrentHashMap<>();

        /** The longest time a client went without an echo across a reconnect, in nanoseconds. */
        final AtomicLong longestGapNanos = new AtomicLong();

        long handshakeFailureCount() {
            return this.handshakeFailures.values().stream()
                    .mapToLong(AtomicLong::get)
                    .sum();
        }
    }

    /** One WebSocket session of the client: what it sent and has not had back yet. */
    private static final class Session {

        final Set<Integer> unanswered = ConcurrentHashMap.newKeySet();

        volatile WebSocketCloseStatus closeStatus;

        volatile WebsocketOutbound out;

        volatile Connection connection;

        volatile boolean echoed;

        volatile boolean ended;

        /** The client sent its own close ({@link #close()}): the end of the run, not the gateway's doing. */
        volatile boolean closedByClient;
    }

    ReconnectingClient(int id, HttpClient http, String uri, Duration interval, Tally tally) {
        this.id = id;
        this.http = http;
        this.uri = uri;
        this.interval = interval;
        this.tally = tally;
    }

    /** Starts the connect-send-reconnect loop. */
    void start() {
        this.loop = Mono.defer(this::session)
                .then(Mono.defer(this::backoff))
                .repeat(() -> !this.stopping)
                .subscribe();
    }

    /** Whether the client holds an open session that had an echo after {@code sinceNanos}. */
    boolean echoedSince(long sinceNanos) {
        Session session = this.current.get();
        return session != null && session.closeStatus == null && this.lastEchoNanos - sinceNanos > 0;
    }

    /** Stops sending and reconnecting; the open session stays open until {@link #close()}. */
    void stopSending() {
        this.stopping = true;
    }

    /** Messages sent on the open session that have not come back yet (an ended session's were counted then). */
    int unanswered() {
        Session session = this.current.get();
        return session == null || session.ended ? 0 : session.unanswered.size();
    }

    /** Ends the open session with 1000 (the driver counts what is still unanswered then). */
    void close() {
        this.stopping = true;
        Session session = this.current.get();
        if (session != null && session.out != null) {
            session.closedByClient = true;
            session.out
                    .sendClose(1000, "done")
                    .onErrorResume(ex -> Mono.empty())
                    .block(Duration.ofSeconds(10));
        }
    }

    void dispose() {
        if (this.loop != null) {
            this.loop.dispose();
        }
        Session session = this.current.get();
        if (session != null && session.connection != null) {
            session.connection.dispose();
        }
    }

    private Mono<Void> session() {
        Session session = new Session();
        return this.http
                .websocket()
                .uri(this.uri + "?client=" + this.id)
                .handle((in, out) -> {
                    session.out = out;
                    in.withConnection(connection -> session.connection = connection);
                    this.current.set(session);
                    this.tally.sessions.incrementAndGet();
                    // A close frame received sets this before the inbound completes; a connection that just ends
                    // completes it empty. The client itself only sends a close in close().
                    in.receiveCloseStatus().subscribe(status -> session.closeStatus = status);
                    Mono<Void> receive = in.receiveFrames()
                            .ofType(TextWebSocketFrame.class)
                            .doOnNext(frame -> echo(session, frame.text()))
                            .then()
                            .onErrorResume(ex -> Mono.empty());
                    // The first message after a random part of the interval: clients do not send in lockstep.
                    long offset = ThreadLocalRandom.current().nextLong(this.interval.toNanos());
                    Flux<String> messages = Flux.interval(Duration.ofNanos(offset), this.interval)
                            .takeWhile(tick -> !this.stopping && session.closeStatus == null)
                            .map(tick -> {
                                int sequence = this.nextSequence.getAndIncrement();
                                session.unanswered.add(sequence);
                                this.tally.sent.incrementAndGet();
                                return "c" + this.id + "-" + sequence;
                            });
                    Mono<Void> send = out.sendString(messages).then().onErrorResume(ex -> Mono.empty());
                    return Mono.when(receive, send);
                })
                .then()
                .onErrorResume(ex -> {
                    if (this.current.get() != session) {
                        this.tally
                                .handshakeFailures
                                .computeIfAbsent(failureKind(ex), kind -> new AtomicLong())
                                .incrementAndGet();
                    }
                    return Mono.empty();
                })
                .then(Mono.fromRunnable(() -> ended(session)));
    }

    private void echo(Session session, String text) {
        String prefix = "c" + this.id + "-";
        Integer sequence = text.startsWith(prefix) ? Integer.valueOf(text.substring(prefix.length())) : null;
        if (sequence == null || !session.unanswered.remove(sequence)) {
            this.tally.unexpectedEchoes.incrementAndGet();
            return;
        }
        long now = System.nanoTime();
        this.tally.echoed.incrementAndGet();
        if (!session.echoed) {
            session.echoed = true;
            this.attempt = 0;
            long since = this.gapSinceNanos;
            if (since != 0) {
                this.tally.longestGapNanos.accumulateAndGet(now - since, Math::max);
                this.gapSinceNanos = 0;
            }
        }
        this.lastEchoNanos = now;
    }

    private void ended(Session session) {
        if (this.current.get() != session) {
            return; // the handshake failed: nothing was sent on it
        }
        session.ended = true;
        int unanswered = session.unanswered.size();
        if (session.closedByClient) {
            // Reactor Netty may end the session before it publishes the client's own close status; what was
            // unanswered then the driver counted before closing.
            return;
        }
        WebSocketCloseStatus status = session.closeStatus;
        // A status this client did not receive: Reactor Netty's own 1006 when the inbound was cancelled.
        boolean told = status != null && status.code() != WebSocketCloseStatus.ABNORMAL_CLOSURE.code();
        if (told) {
            this.tally
                    .closes
                    .computeIfAbsent(status.code() + " " + status.reasonText(), key -> new AtomicLong())
                    .incrementAndGet();
            this.tally.unansweredButTold.addAndGet(unanswered);
        } else {
            this.tally.endedWithoutClose.incrementAndGet();
            this.tally.lostSilently.addAndGet(unanswered);
            if (this.tally.failures.size() < 20) {
                this.tally.failures.add(String.format(
                        java.util.Locale.ROOT,
                        "client %d: session from %s ended without a close frame at +%.1fs (status %s, %d unanswered,"
                                + " stopping %s)",
                        this.id,
                        session.connection != null
                                ? session.connection.channel().localAddress()
                                : "?",
                        (System.nanoTime() - this.tally.startNanos) / 1e9,
                        status,
                        unanswered,
                        this.stopping));
            }
        }
        if (!this.stopping && this.gapSinceNanos == 0) {
            this.gapSinceNanos = this.lastEchoNanos != 0 ? this.lastEchoNanos : System.nanoTime();
        }
    }

    private Mono<Void> backoff() {
        if (this.stopping) {
            return Mono.empty();
        }
        int n = Math.min(this.attempt++, 16);
        long cap = Math.min(BACKOFF_CAP.toNanos(), BACKOFF_BASE.toNanos() << n);
        return Mono.delay(Duration.ofNanos(ThreadLocalRandom.current().nextLong(cap + 1)))
                .then();
    }

    /** What a failed handshake looked like to the client: the HTTP status if there was one, else the exception. */
    static String failureKind(Throwable ex) {
        String message = String.valueOf(ex.getMessage());
        java.util.regex.Matcher status =
                java.util.regex.Pattern.compile("getStatus: (\\d{3})").matcher(message);
        return status.find() ? "HTTP " + status.group(1) : ex.getClass().getSimpleName();
    }
}
