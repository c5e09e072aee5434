package io.wsgate.proxy;

import io.wsgate.metrics.ClosedBy;
import io.wsgate.metrics.Direction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * keepalive pings to both legs with their pong deadline. Each ends the session through
 * {@link ProxiedSession#closeByGateway(GatewayClose)}.
 */
final class SessionTimers implements Disposable {

    /** Payload prefix of the gateway's own pings: a pong that echoes it answers the gateway, not the other leg. */
    private static final String PING_PREFIX_TEXT = "wsgate-keepalive:";

    private static final byte[] PING_PREFIX = PING_PREFIX_TEXT.getBytes(StandardCharsets.US_ASCII);

    private final ProxiedSession session;

    private final Scheduler scheduler;

    private final Disposable.Composite tasks = Disposables.composite();

    private final Disposable.Swap idleCheck = Disposables.swap();

    // One pong deadline per leg at a time, for the oldest ping not yet checked; later pings wait for it.
    private final Disposable.Swap[] pongCheck = {Disposables.swap(), Disposables.swap()};

    private final AtomicBoolean[] pongCheckPending = {new AtomicBoolean(), new AtomicBoolean()};

    // Per leg (index 0 client, 1 backend): the last keepalive ping sent and the highest one answered.
    private final AtomicLong[] pingSent = {new AtomicLong(), new AtomicLong()};

    private final AtomicLong[] pongReceived = {new AtomicLong(), new AtomicLong()};

    private SessionTimers(ProxiedSession session, Scheduler scheduler) {
        this.session = session;
        this.scheduler = scheduler;
        this.tasks.addAll(java.util.List.of(this.idleCheck, this.pongCheck[0], this.pongCheck[1]));
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
     * Whether {@code message}, received in {@code direction}, is a pong answering one of the gateway's own pings;
     * such a pong is recorded here and must not be relayed.
     */
    boolean isKeepalivePong(Direction direction, WebSocketMessage message) {
        if (message.getType() != WebSocketMessage.Type.PONG) {
            return false;
        }
        long answered = keepaliveNumber(message.getPayload());
        if (answered < 0) {
            return false;
        }
        // A pong from the client travels client-to-backend: it answers the ping sent to the client.
        this.pongReceived[leg(direction == Direction.CLIENT_TO_BACKEND)].accumulateAndGet(answered, Math::max);
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
        ping(true, this.session.client());
        ping(false, this.session.backend().session());
    }

    private void ping(boolean client, WebSocketSession leg) {
        if (!leg.isOpen() || this.session.closedByGateway()) {
            return;
        }
        long number = this.pingSent[leg(client)].incrementAndGet();
        byte[] payload = (PING_PREFIX_TEXT + number).getBytes(StandardCharsets.US_ASCII);
        ClosedBy peer = client ? ClosedBy.CLIENT : ClosedBy.BACKEND;
        // A send of its own beside the relay's: Reactor Netty writes each frame whole, so they interleave safely.
        leg.send(Mono.just(leg.pingMessage(factory -> factory.wrap(payload)))).subscribe(null, ex -> {});
        this.session.meters().keepalivePing(peer);
        Duration pongTimeout = this.session.policy().pongTimeout();
        if (RoutePolicy.isOn(pongTimeout) && this.pongCheckPending[leg(client)].compareAndSet(false, true)) {
            this.pongCheck[leg(client)].update(this.scheduler.schedule(
                    () -> checkPong(client, number, pongTimeout), pongTimeout.toNanos(), TimeUnit.NANOSECONDS));
        }
    }

    private void checkPong(boolean client, long number, Duration pongTimeout) {
        this.pongCheckPending[leg(client)].set(false);
        if (this.pongReceived[leg(client)].get() < number && !this.session.closedByGateway()) {
            this.session.meters().keepaliveUnanswered(client ? ClosedBy.CLIENT : ClosedBy.BACKEND);
            close(GatewayClose.pongTimeout(client, pongTimeout));
        }
    }

    private void close(GatewayClose close) {
        this.session.closeByGateway(close).subscribe();
    }

    private static int leg(boolean client) {
        return client ? 0 : 1;
    }

    /** The number in a keepalive pong's payload, or -1 when the payload is not one of the gateway's pings. */
    private static long keepaliveNumber(DataBuffer payload) {
        int length = payload.readableByteCount();
        int start = payload.readPosition();
        if (length <= PING_PREFIX.length || length > PING_PREFIX.length + 19) {
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
}
