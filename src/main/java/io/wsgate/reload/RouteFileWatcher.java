package io.wsgate.reload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wsgate.metrics.WsgateMeterNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.cloud.gateway.event.RefreshRoutesEvent;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Watches the route file and, when its content changes and stays unchanged for the quiet period, puts the file's
 * routes in force in the {@link RouteFileRepository} (the whole set: routes the file no longer lists are removed),
 * then refreshes the gateway's route cache ({@link RefreshRoutesEvent}). A file that does not parse, bind, validate
 * or build is rejected with one log line and the running routes stay. Sessions open on a route the new version
 * removes or re-points are kept, drained or closed as configured ({@link OpenSessionsOnReload}).
 *
 * <p>The file is polled by content rather than watched by inode: a Kubernetes ConfigMap volume updates by
 * swapping the directory's {@code ..data} symlink, which a watch on the file itself never sees, while reading the
 * path again always follows the current links.
 */
class RouteFileWatcher implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(RouteFileWatcher.class);

    private final Path path;

    private final Duration interval;

    private final Duration quietPeriod;

    private final RouteFile routeFile;

    private final RouteDryRun dryRun;

    private final RouteFileRepository repository;

    private final ApplicationEventPublisher publisher;

    private final OpenSessionsOnReload openSessions;

    private final Counter applied;

    private final Counter rejected;

    private volatile FileState lastChecked;

    private volatile Disposable schedule;

    RouteFileWatcher(
            Path path,
            Duration interval,
            Duration quietPeriod,
            RouteFile routeFile,
            RouteDryRun dryRun,
            RouteFileRepository repository,
            ApplicationEventPublisher publisher,
            OpenSessionsOnReload openSessions,
            MeterRegistry meterRegistry) {
        this.path = path;
        this.interval = interval;
        this.quietPeriod = quietPeriod;
        this.routeFile = routeFile;
        this.dryRun = dryRun;
        this.repository = repository;
        this.publisher = publisher;
        this.openSessions = openSessions;
        this.applied = reloads(meterRegistry, "success");
        this.rejected = reloads(meterRegistry, "rejected");
    }

    private static Counter reloads(MeterRegistry registry, String outcome) {
        return Counter.builder(WsgateMeterNames.ROUTES_RELOADS)
                .description("Route file changes applied (success) or rejected as invalid (rejected)")
                .tag(WsgateMeterNames.TAG_OUTCOME, outcome)
                .register(registry);
    }

    /** The file as read now: its content, or why it could not be read. */
    record FileState(String content, String problem) {}

    FileState read() {
        try {
            return new FileState(Files.readString(this.path, StandardCharsets.UTF_8), null);
        } catch (NoSuchFileException ex) {
            return new FileState(null, "absent");
        } catch (IOException | RuntimeException ex) {
            return new FileState(null, "unreadable: " + RouteFile.describe(ex));
        }
    }

    /** Applies the file if it changed since the last check. */
    void check(FileState state) {
        if (state.equals(this.lastChecked)) {
            return;
        }
        boolean first = this.lastChecked == null;
        this.lastChecked = state;
        List<RouteDefinition> running = this.repository.routes();
        if (state.problem() != null) {
            logger.info(
                    "Route file {} is {}; keeping the {} running routes", this.path, state.problem(), running.size());
            return;
        }
        Optional<List<RouteDefinition>> routes;
        try {
            routes = this.routeFile.parse(this.path.toString(), state.content());
            routes.ifPresent(this.dryRun::build);
        } catch (RuntimeException ex) {
            // Anything a broken file can throw rejects it; the watch itself must go on.
            this.rejected.increment();
            logger.error(
                    "Route file {} rejected, keeping the {} running routes: {}",
                    this.path,
                    running.size(),
                    ex instanceof InvalidRouteFileException ? ex.getMessage() : RouteFile.describe(ex));
            return;
        }
        if (routes.isEmpty()) {
            logger.info("Route file {} declares no routes; keeping the {} running routes", this.path, running.size());
            return;
        }
        RouteChanges changes = RouteChanges.between(running, routes.get());
        // Same routes in a new order still matter: routes of equal order match in list order.
        if (running.equals(routes.get())) {
            if (first) {
                logger.info("Watching route file {} ({} routes)", this.path, running.size());
            } else {
                logger.info("Route file {} changed, its {} routes did not", this.path, running.size());
            }
            return;
        }
        this.repository.replace(routes.get());
        this.publisher.publishEvent(new RefreshRoutesEvent(this));
        this.applied.increment();
        // After the refresh: a client whose session is closed reconnects to the routes now in force.
        List<String> sessions = this.openSessions.apply(running, routes.get());
        logger.info(
                "Routes reloaded from {}: {}; {} routes in force{}",
                this.path,
                changes.isEmpty() ? "reordered" : changes,
                routes.get().size(),
                sessions.isEmpty() ? "" : "; open sessions: " + String.join("; ", sessions));
    }

    @Override
    public void start() {
        check(read());
        this.schedule = Flux.interval(this.interval, this.interval, Schedulers.boundedElastic())
                .onBackpressureDrop()
                .map(tick -> read())
                .distinctUntilChanged()
                // Only a content that stayed unchanged for the quiet period: not a file half-written.
                .sampleTimeout(state -> Mono.delay(this.quietPeriod, Schedulers.boundedElastic()))
                .subscribe(this::check, ex -> logger.error("Route file watch of {} stopped", this.path, ex));
    }

    @Override
    public void stop() {
        Disposable current = this.schedule;
        if (current != null) {
            current.dispose();
        }
        this.schedule = null;
    }

    @Override
    public boolean isRunning() {
        return this.schedule != null;
    }

    @Override
    public int getPhase() {
        // Before the web server starts, so the first request already sees the file's routes.
        return WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE - 1;
    }
}
