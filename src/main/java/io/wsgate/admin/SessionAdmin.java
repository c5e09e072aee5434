package io.wsgate.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import io.wsgate.session.CloseCodes;
import io.wsgate.session.GatewayClose;
import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionLog;
import io.wsgate.session.SessionRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.scheduler.Scheduler;

/**
 * What an operator can see and do with the open sessions, from the {@link SessionRegistry}: list and count them,
 * close one, a route's or a backend instance's, and shed a share of a route's over a window. The endpoint
 * ({@link SessionsEndpoint}) is the HTTP face of this class.
 */
class SessionAdmin {

    private static final Logger logger = LoggerFactory.getLogger(SessionAdmin.class);

    static final int DEFAULT_PAGE_SIZE = 100;

    static final int MAX_PAGE_SIZE = 1000;

    /** The longest shedding window: a window is a promise to close sessions later, so it stays short. */
    static final Duration MAX_SHED_WINDOW = Duration.ofHours(1);

    private final SessionRegistry sessions;

    private final MeterRegistry meters;

    private final Scheduler scheduler;

    private final Clock clock;

    SessionAdmin(SessionRegistry sessions, MeterRegistry meters, Scheduler scheduler, Clock clock) {
        this.sessions = sessions;
        this.meters = meters;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /** The sessions that match, oldest first, one page of them, and the counts of all open sessions. */
    SessionsPage list(Filter filter, int page, int size) {
        Instant now = this.clock.instant();
        List<ProxiedSession> open = this.sessions.snapshot();
        Map<String, Long> byRoute = new TreeMap<>();
        Map<String, Long> byBackend = new TreeMap<>();
        for (ProxiedSession session : open) {
            byRoute.merge(session.routeId(), 1L, Long::sum);
            byBackend.merge(SessionView.backend(session), 1L, Long::sum);
        }
        List<ProxiedSession> matching =
                new ArrayList<>(open.stream().filter(filter).toList());
        matching.sort(Comparator.comparing(ProxiedSession::openedAt).thenComparing(ProxiedSession::id));
        int from = (int) Math.min((long) page * size, matching.size());
        List<SessionView> shown = matching.subList(from, Math.min(from + size, matching.size())).stream()
                .map(session -> SessionView.of(session, now))
                .toList();
        return new SessionsPage(open.size(), matching.size(), page, size, shown, byRoute, byBackend);
    }

    SessionView find(String id) {
        ProxiedSession session = this.sessions.find(id);
        return session != null ? SessionView.of(session, this.clock.instant()) : null;
    }

    /** Closes the session {@code id}; whether it was open. */
    boolean close(String id, CloseStatus status, String requester) {
        ProxiedSession session = this.sessions.find(id);
        if (session == null) {
            count("close-session", "not-found");
            return false;
        }
        logger.info("Operator at {} closes session {} of route {} with {}", requester, id, session.routeId(), status);
        session.closeByGateway(GatewayClose.byOperator(status, "closed by an operator at " + requester));
        count("close-session", "done");
        return true;
    }

    /** Closes every session that matches {@code filter} (a route's, a backend instance's); how many. */
    int closeAll(String operation, Filter filter, CloseStatus status, String requester) {
        List<ProxiedSession> matching =
                this.sessions.snapshot().stream().filter(filter).toList();
        logger.info("Operator at {} closes {} sessions of {} with {}", requester, matching.size(), filter, status);
        GatewayClose close = GatewayClose.byOperator(status, "closed by an operator at " + requester);
        matching.forEach(session -> session.closeByGateway(close));
        count(operation, "done");
        return matching.size();
    }

    /**
     * Closes {@code percent} of a route's open sessions (rounded up), picked at random, each at a random moment of
     * {@code window}, so that their clients reconnect spread out (to the new replicas after a scale-out, say).
     * Returns how many will be closed.
     */
    int shed(String route, int percent, Duration window, CloseStatus status, String requester) {
        List<ProxiedSession> ofRoute = new ArrayList<>(this.sessions.snapshot().stream()
                .filter(session -> session.routeId().equals(route))
                .toList());
        Collections.shuffle(ofRoute, ThreadLocalRandom.current());
        int shed = (int) Math.ceil(ofRoute.size() * percent / 100.0);
        logger.info(
                "Operator at {} sheds {}% of route {}: {} of {} sessions over {}ms with {}",
                requester, percent, route, shed, ofRoute.size(), window.toMillis(), status);
        GatewayClose close = GatewayClose.byOperator(status, "shed by an operator at " + requester);
        for (ProxiedSession session : ofRoute.subList(0, shed)) {
            long delay = window.isZero() ? 0 : ThreadLocalRandom.current().nextLong(window.toNanos());
            this.scheduler.schedule(() -> session.closeByGateway(close), delay, TimeUnit.NANOSECONDS);
        }
        count("shed", "done");
        return shed;
    }

    void refused(String operation, String why, String requester) {
        logger.warn("Operator at {} asked for {}: refused, {}", requester, operation, why);
        count(operation, "refused");
    }

    /** A close status an operator may choose; {@code null} when the code is not one a gateway should send. */
    static CloseStatus closeStatus(Integer code, String reason) {
        int chosen = code != null ? code : CloseStatus.GOING_AWAY.getCode();
        boolean allowed = chosen == 1000
                || chosen == 1001
                || chosen == 1008
                || chosen == 1011
                || chosen == 1012
                || chosen == 1013
                || (chosen >= 4000 && chosen <= 4999);
        return allowed ? new CloseStatus(chosen, CloseCodes.fit(reason != null ? reason : "")) : null;
    }

    private void count(String operation, String outcome) {
        Counter.builder(WsgateMeterNames.ADMIN_WRITES)
                .description("Write operations on the wsgate management endpoint")
                .tags(WsgateMeterNames.TAG_OPERATION, operation, WsgateMeterNames.TAG_OUTCOME, outcome)
                .register(this.meters)
                .increment();
    }

    /** Which sessions an operation is about: any of route, client address and backend instance that is given. */
    record Filter(String route, String client, String backend) implements Predicate<ProxiedSession> {

        @Override
        public boolean test(ProxiedSession session) {
            return (this.route == null || this.route.equals(session.routeId()))
                    && (this.client == null || matchesClient(session))
                    && (this.backend == null || this.backend.equals(SessionView.backend(session)));
        }

        /** A client filter is an address ({@code 10.0.0.7}) or an address and port ({@code 10.0.0.7:51234}). */
        private boolean matchesClient(ProxiedSession session) {
            String shown = SessionLog.address(session.clientAddress());
            if (shown.equals(this.client)) {
                return true;
            }
            return session.clientAddress() != null
                    && session.clientAddress().getAddress() != null
                    && session.clientAddress().getAddress().getHostAddress().equals(this.client);
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            if (this.route != null) {
                parts.add("route " + this.route);
            }
            if (this.client != null) {
                parts.add("client " + this.client);
            }
            if (this.backend != null) {
                parts.add("backend " + this.backend);
            }
            return parts.isEmpty() ? "every route" : String.join(", ", parts);
        }
    }
}
