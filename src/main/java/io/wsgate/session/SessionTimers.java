package io.wsgate.session;

import io.netty.util.Timeout;
import io.netty.util.Timer;
import io.netty.util.TimerTask;
import io.wsgate.config.RoutePolicy;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.Leg;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The timers of one open session, from its route's {@link RoutePolicy}: the idle timeout, the max session age, and
 * keepalive pings to both legs with their pong deadline; and the client's token expiry, if it sent one. Each ends the
 * session through {@link SessionLifecycle}.
 *
 * <p>All of a session's timers are one entry on the process's shared timer wheel ({@link #TICK}, see
 * {@code SessionConfiguration}): the entry fires at the earliest of the session's deadlines, handles whatever is due,
 * and puts itself back for the next one. An idle session so costs one wheel entry and this object, instead of a
 * scheduled task per timer. A deadline is met within one tick, never before it.
 *
 * <p>A keepalive ping carries this process's random nonce and the ping's number. Only a pong with that nonce and a
 * number this session actually sent on that leg answers the gateway; any other pong is the peer's own business and
 * is relayed. So a client cannot silence its own pong timeout with a made-up pong, and two wsgate instances in a row
 * do not take each other's pongs.
 */
final class SessionTimers implements TimerTask, Disposable {

    /** The shared wheel's tick: how late a session's timer may fire at most (plus the time to run the ones due). */
    static final Duration TICK = Duration.ofMillis(100);

    /** This process's keepalive nonce: 16 hex digits, random per process. */
    static final String NONCE = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));

    private static final byte[] PING_PREFIX = ("wsgate-keepalive:" + NONCE + ":").getBytes(StandardCharsets.US_ASCII);

    private static final long NONE = Long.MAX_VALUE;

    private static final AtomicLongFieldUpdater<SessionTimers> CLIENT_ANSWERED =
            AtomicLongFieldUpdater.newUpdater(SessionTimers.class, "clientAnswered");

    private static final AtomicLongFieldUpdater<SessionTimers> BACKEND_ANSWERED =
            AtomicLongFieldUpdater.newUpdater(SessionTimers.class, "backendAnswered");

    private final ProxiedSession session;

    private final Timer wheel;

    // Deadlines in nanoseconds since the session started (ProxiedSession#startNanos), NONE when off. Read and
    // written by the wheel's thread only, after start().
    private long tokenAt = NONE;

    private long ageAt = NONE;

    private long idleAt = NONE;

    private long pingAt = NONE;

    private long clientPongAt = NONE;

    private long backendPongAt = NONE;

    // The ping number each pending pong deadline waits for.
    private long clientPongFor;

    private long backendPongFor;

    // Keepalive pings sent (by the wheel's thread) and the highest answered (by the legs' event loops), per leg.
    private volatile long clientSent;

    private volatile long backendSent;

    private volatile long clientAnswered;

    private volatile long backendAnswered;

    private volatile Timeout timeout;

    private volatile boolean disposed;

    private SessionTimers(ProxiedSession session, Timer wheel) {
        this.session = session;
        this.wheel = wheel;
    }

    /** Starts the timers the session's route has on; {@link #dispose()} stops them when the session ends. */
    static SessionTimers start(ProxiedSession session, Timer wheel) {
        SessionTimers timers = new SessionTimers(session, wheel);
        RoutePolicy policy = session.policy();
        if (RoutePolicy.isOn(policy.idleTimeout())) {
            timers.idleAt = policy.idleTimeout().toNanos();
        }
        Duration ageLimit = policy.sessionAgeLimit();
        if (RoutePolicy.isOn(ageLimit)) {
            timers.ageAt = ageLimit.toNanos();
        }
        Instant tokenDeadline = session.tokenDeadline();
        if (tokenDeadline != null) {
            long left =
                    Math.max(0, Duration.between(Instant.now(), tokenDeadline).toNanos());
            timers.tokenAt = saturatedAdd(timers.now(), left);
        }
        if (RoutePolicy.isOn(policy.pingInterval())) {
            timers.pingAt = policy.pingInterval().toNanos();
        }
        timers.scheduleNext(timers.now());
        return timers;
    }

    /** Runs on the wheel's thread: whatever is due, earliest first, then the entry for the next deadline. */
    @Override
    public void run(Timeout expired) {
        long now = now();
        while (!this.disposed && !this.session.lifecycle().isEnding()) {
            long next = nextDeadline();
            if (next > now) {
                scheduleNext(now);
                return;
            }
            fire(next, now);
        }
    }

    private void fire(long deadline, long now) {
        if (deadline == this.tokenAt) {
            this.tokenAt = NONE;
            close(GatewayClose.tokenExpired(this.session.tokenDeadline()));
        } else if (deadline == this.ageAt) {
            this.ageAt = NONE;
            close(GatewayClose.maxSessionAge(Duration.ofNanos(deadline)));
        } else if (deadline == this.idleAt) {
            checkIdle(now);
        } else if (deadline == this.clientPongAt) {
            this.clientPongAt = NONE;
            checkPong(Leg.CLIENT, this.clientPongFor);
        } else if (deadline == this.backendPongAt) {
            this.backendPongAt = NONE;
            checkPong(Leg.BACKEND, this.backendPongFor);
        } else {
            ping(now);
        }
    }

    private long nextDeadline() {
        return Math.min(
                Math.min(this.tokenAt, this.ageAt),
                Math.min(Math.min(this.idleAt, this.pingAt), Math.min(this.clientPongAt, this.backendPongAt)));
    }

    private void scheduleNext(long now) {
        long next = nextDeadline();
        if (next == NONE || this.disposed) {
            return;
        }
        try {
            this.timeout = this.wheel.newTimeout(this, Math.max(0, next - now), TimeUnit.NANOSECONDS);
        } catch (IllegalStateException ex) {
            // The wheel is stopped: the application is shutting down, and the drain ends the session.
            return;
        }
        if (this.disposed) {
            this.timeout.cancel();
        }
    }

    /** Nanoseconds since the session started: the time base of the deadlines. */
    private long now() {
        return System.nanoTime() - this.session.startNanos();
    }

    /**
     * Whether {@code message}, received in {@code direction}, is a pong answering one of this session's keepalive
     * pings; such a pong is recorded here and must not be relayed.
     */
    boolean isKeepalivePong(Direction direction, WebSocketMessage message) {
        if (message.getType() != WebSocketMessage.Type.PONG) {
            return false;
        }
        // A pong from the client travels client-to-backend: it answers the ping sent to the client.
        Leg leg = direction.sender();
        long answered = keepaliveNumber(message.getPayload());
        if (answered <= 0 || answered > (leg == Leg.CLIENT ? this.clientSent : this.backendSent)) {
            return false;
        }
        (leg == Leg.CLIENT ? CLIENT_ANSWERED : BACKEND_ANSWERED).accumulateAndGet(this, answered, Math::max);
        return true;
    }

    private void checkIdle(long now) {
        Duration idleTimeout = this.session.policy().idleTimeout();
        Duration quiet = this.session.quietFor();
        if (quiet.compareTo(idleTimeout) >= 0) {
            this.idleAt = NONE;
            close(GatewayClose.idle(idleTimeout));
        } else {
            this.idleAt = now + idleTimeout.minus(quiet).toNanos();
        }
    }

    private void ping(long now) {
        long interval = this.session.policy().pingInterval().toNanos();
        // At a fixed rate; after a stall (a paused process), the next ping one interval from now.
        this.pingAt = this.pingAt + interval > now ? this.pingAt + interval : now + interval;
        Duration pongTimeout = this.session.policy().pongTimeout();
        long pongAt = RoutePolicy.isOn(pongTimeout) ? now + pongTimeout.toNanos() : NONE;
        if (ping(Leg.CLIENT, this.session.client()) && this.clientPongAt == NONE) {
            this.clientPongAt = pongAt;
            this.clientPongFor = this.clientSent;
        }
        if (ping(Leg.BACKEND, this.session.backend()) && this.backendPongAt == NONE) {
            this.backendPongAt = pongAt;
            this.backendPongFor = this.backendSent;
        }
    }

    /** Sends the next keepalive ping to {@code leg}; false when the leg is closing. */
    private boolean ping(Leg leg, WebSocketSession session) {
        if (!session.isOpen() || this.session.lifecycle().isEnding()) {
            return false;
        }
        // Only this thread writes the counts; the legs' event loops read them.
        long number = leg == Leg.CLIENT ? ++this.clientSent : ++this.backendSent;
        byte[] payload = pingPayload(number);
        // A send of its own beside the relay's: Reactor Netty writes each frame whole, so they interleave safely.
        session.send(Mono.just(session.pingMessage(factory -> factory.wrap(payload))))
                .subscribe(null, ex -> {});
        this.session.meters().keepalivePing(leg);
        return true;
    }

    private void checkPong(Leg leg, long number) {
        long answered = leg == Leg.CLIENT ? this.clientAnswered : this.backendAnswered;
        if (answered < number && !this.session.lifecycle().isEnding()) {
            this.session.meters().keepaliveUnanswered(leg);
            close(GatewayClose.pongTimeout(leg, this.session.policy().pongTimeout()));
        }
    }

    private void close(GatewayClose close) {
        this.session.lifecycle().close(close);
    }

    static byte[] pingPayload(long number) {
        byte[] digits = Long.toString(number).getBytes(StandardCharsets.US_ASCII);
        byte[] payload = new byte[PING_PREFIX.length + digits.length];
        System.arraycopy(PING_PREFIX, 0, payload, 0, PING_PREFIX.length);
        System.arraycopy(digits, 0, payload, PING_PREFIX.length, digits.length);
        return payload;
    }

    /** The number in a keepalive pong's payload, or -1 when the payload is not one of this process's pings. */
    static long keepaliveNumber(DataBuffer payload) {
        int length = payload.readableByteCount();
        int start = payload.readPosition();
        if (length <= PING_PREFIX.length || length > PING_PREFIX.length + 18) {
            return -1;
        }
        for (int i = 0; i < PING_PREFIX.length; i++) {
            if (payload.getByte(start + i) != PING_PREFIX[i]) {
                return -1;
            }
        }
        long number = 0;
        for (int i = PING_PREFIX.length; i < length; i++) {
            byte digit = payload.getByte(start + i);
            if (digit < '0' || digit > '9') {
                return -1;
            }
            number = number * 10 + (digit - '0');
        }
        return number;
    }

    @Override
    public void dispose() {
        this.disposed = true;
        Timeout pending = this.timeout;
        if (pending != null) {
            pending.cancel();
        }
    }

    @Override
    public boolean isDisposed() {
        return this.disposed;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? NONE - 1 : sum;
    }
}
