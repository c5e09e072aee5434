package io.wsgate.session;

import io.wsgate.config.RoutePolicy;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.Leg;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The timers of one open session, from its route's {@link RoutePolicy}: the idle timeout, the max session age, and
 * keepalive pings to both legs with their pong deadline. Each ends the session through {@link SessionLifecycle}.
 *
 * <p>A keepalive ping carries this process's random nonce and the ping's number. Only a pong with that nonce and a
 * number this session actually sent on that leg answers the gateway; any other pong is the peer's own business and
 * is relayed. So a client cannot silence its own pong timeout with a made-up pong, and two wsgate instances in a row
 * do not take each other's pongs.
 */
final class SessionTimers implements Disposable {

    /** This process's keepalive nonce: 16 hex digits, random per process. */
    static final String NONCE = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));

    private static final byte[] PING_PREFIX = ("wsgate-keepalive:" + NONCE + ":").getBytes(StandardCharsets.US_ASCII);

    private final ProxiedSession session;

    private final Scheduler scheduler;

    private final Disposable.Composite tasks = Disposables.composite();

    private final Disposable.Swap idleCheck = Disposables.swap();

    private final Map<Leg, Keepalive> keepalive =
            new EnumMap<>(Map.of(Leg.CLIENT, new Keepalive(Leg.CLIENT), Leg.BACKEND, new Keepalive(Leg.BACKEND)));

    private SessionTimers(ProxiedSession session, Scheduler scheduler) {
        this.session = session;
        this.scheduler = scheduler;
        this.tasks.add(this.idleCheck);
        this.keepalive.values().forEach(leg -> this.tasks.add(leg.pongCheck));
    }

    /** Starts the timers the session's route has on; {@link #dispose()} stops them when the session ends. */
    static SessionTimers start(ProxiedSession session, Scheduler scheduler) {
        SessionTimers timers = new SessionTimers(session, scheduler);
        RoutePolicy policy = session.policy();
        if (RoutePolicy.isOn(policy.idleTimeout())) {
            timers.scheduleIdleCheck(policy.idleTimeout());
        }
        Duration ageLimit = policy.sessionAgeLimit();
        if (RoutePolicy.isOn(ageLimit)) {
            timers.tasks.add(scheduler.schedule(
                    () -> timers.close(GatewayClose.maxSessionAge(ageLimit)),
                    ageLimit.toNanos(),
                    TimeUnit.NANOSECONDS));
        }
        if (RoutePolicy.isOn(policy.pingInterval())) {
            long interval = policy.pingInterval().toNanos();
            timers.tasks.add(scheduler.schedulePeriodically(timers::ping, interval, interval, TimeUnit.NANOSECONDS));
        }
        return timers;
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
        Keepalive leg = this.keepalive.get(direction.sender());
        long answered = keepaliveNumber(message.getPayload());
        if (answered <= 0 || answered > leg.sent.get()) {
            return false;
        }
        leg.answered.accumulateAndGet(answered, Math::max);
        return true;
    }

    private void scheduleIdleCheck(Duration delay) {
        this.idleCheck.update(this.scheduler.schedule(this::checkIdle, delay.toNanos(), TimeUnit.NANOSECONDS));
    }

    private void checkIdle() {
        Duration idleTimeout = this.session.policy().idleTimeout();
        Duration quiet = this.session.quietFor();
        if (quiet.compareTo(idleTimeout) >= 0) {
            close(GatewayClose.idle(idleTimeout));
        } else {
            scheduleIdleCheck(idleTimeout.minus(quiet));
        }
    }

    private void ping() {
        ping(this.keepalive.get(Leg.CLIENT), this.session.client());
        ping(this.keepalive.get(Leg.BACKEND), this.session.backend());
    }

    private void ping(Keepalive keepalive, WebSocketSession leg) {
        if (!leg.isOpen() || this.session.lifecycle().isEnding()) {
            return;
        }
        long number = keepalive.sent.incrementAndGet();
        byte[] payload = pingPayload(number);
        // A send of its own beside the relay's: Reactor Netty writes each frame whole, so they interleave safely.
        leg.send(Mono.just(leg.pingMessage(factory -> factory.wrap(payload)))).subscribe(null, ex -> {});
        this.session.meters().keepalivePing(keepalive.leg);
        Duration pongTimeout = this.session.policy().pongTimeout();
        if (RoutePolicy.isOn(pongTimeout) && keepalive.pongCheckPending.compareAndSet(false, true)) {
            keepalive.pongCheck.update(this.scheduler.schedule(
                    () -> checkPong(keepalive, number, pongTimeout), pongTimeout.toNanos(), TimeUnit.NANOSECONDS));
        }
    }

    private void checkPong(Keepalive keepalive, long number, Duration pongTimeout) {
        keepalive.pongCheckPending.set(false);
        if (keepalive.answered.get() < number && !this.session.lifecycle().isEnding()) {
            this.session.meters().keepaliveUnanswered(keepalive.leg);
            close(GatewayClose.pongTimeout(keepalive.leg, pongTimeout));
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
        this.tasks.dispose();
    }

    @Override
    public boolean isDisposed() {
        return this.tasks.isDisposed();
    }

    /** One leg's keepalive: pings sent, the highest answered, and the one pong deadline pending at a time. */
    private static final class Keepalive {

        final Leg leg;

        final AtomicLong sent = new AtomicLong();

        final AtomicLong answered = new AtomicLong();

        final Disposable.Swap pongCheck = Disposables.swap();

        final AtomicBoolean pongCheckPending = new AtomicBoolean();

        Keepalive(Leg leg) {
            this.leg = leg;
        }
    }
}
