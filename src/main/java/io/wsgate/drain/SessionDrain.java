package io.wsgate.drain;

import io.wsgate.session.GatewayClose;
import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionRegistry;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Graceful drain on shutdown (SIGTERM): readiness goes to {@code REFUSING_TRAFFIC}, new handshakes get 503 with
 * {@code Retry-After}, and every open session is closed with 1001 "going away" on both legs, the closes spread
 * evenly over {@code wsgate.shutdown.drain-window} so clients don't reconnect in one stampede.
 *
 * <p>Boot's own graceful shutdown sends no close frame: it waits for WebSocket connections to end by themselves.
 * This lifecycle runs at the default phase, which stops before the web server's graceful shutdown, so the server
 * then finds the connections already closed and stops at once.
 */
public class SessionDrain implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(SessionDrain.class);

    /** How long to wait past the window for the last sessions' close handshakes. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

    private final SessionRegistry sessions;

    private final ApplicationEventPublisher events;

    private final Duration window;

    private final Scheduler scheduler;

    private volatile boolean running;

    private volatile boolean draining;

    SessionDrain(SessionRegistry sessions, ApplicationEventPublisher events, Duration window, Scheduler scheduler) {
        this.sessions = sessions;
        this.events = events;
        this.window = window;
        this.scheduler = scheduler;
    }

    /** Whether the gateway is draining: new handshakes are refused. */
    public boolean isDraining() {
        return this.draining;
    }

    @Override
    public void start() {
        this.running = true;
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("stop(Runnable) only");
    }

    @Override
    public void stop(Runnable callback) {
        this.draining = true;
        AvailabilityChangeEvent.publish(this.events, this, ReadinessState.REFUSING_TRAFFIC);
        List<ProxiedSession> open = this.sessions.snapshot();
        logger.info(
                "Shutting down: readiness is REFUSING_TRAFFIC, new handshakes get 503; closing {} sessions with 1001"
                        + " over {}ms",
                open.size(),
                this.window.toMillis());
        long step = open.isEmpty() ? 0 : this.window.toNanos() / open.size();
        // Every session's timer runs at once (flatMap's default of 256 in flight would stretch the window).
        Mono<Void> closes = Flux.range(0, open.size())
                .flatMap(
                        i -> Mono.delay(Duration.ofNanos(step * i), this.scheduler)
                                .then(Mono.fromRunnable(() -> open.get(i).closeByGateway(GatewayClose.shutdown()))),
                        Math.max(1, open.size()))
                .then();
        Mono<Void> allClosed = Flux.interval(Duration.ofMillis(20), this.scheduler)
                .filter(tick -> this.sessions.active() == 0)
                .next()
                .then();
        // A handshake already past the 503 check when the drain began opens its session after the snapshot.
        Mono<Void> latecomers = Mono.defer(() -> Flux.fromIterable(this.sessions.snapshot())
                .doOnNext(session -> session.closeByGateway(GatewayClose.shutdown()))
                .then());
        closes.then(latecomers)
                .then(allClosed)
                .timeout(this.window.plus(CLOSE_GRACE), this.scheduler)
                .doFinally(signal -> {
                    long left = this.sessions.active();
                    if (left > 0) {
                        logger.warn("Drain window over with {} sessions still open; stopping anyway", left);
                    } else {
                        logger.info("Drained: every session closed");
                    }
                    this.running = false;
                    callback.run();
                })
                .subscribe(null, ex -> {});
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        // Above the web server's graceful shutdown (DEFAULT_PHASE - 1024): lifecycles stop highest phase first.
        return SmartLifecycle.DEFAULT_PHASE;
    }
}
