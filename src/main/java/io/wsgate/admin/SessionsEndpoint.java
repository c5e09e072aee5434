package io.wsgate.admin;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;

/**
 * {@code /actuator/wsgate} on the management port: the open sessions, and (with
 * {@code wsgate.admin.write-enabled=true}) closing and shedding them.
 *
 * <ul>
 *   <li>{@code GET /actuator/wsgate?route=&client=&backend=&page=&size=}: a page of matching sessions, oldest first,
 *       and the counts per route and per backend instance.
 *   <li>{@code GET /actuator/wsgate/{id}}: one session (404 when it is not open).
 *   <li>{@code DELETE /actuator/wsgate/{id}?code=&reason=}: close one session.
 *   <li>{@code POST /actuator/wsgate} with {@code {"action": "close", "route"|"backend": ..., "code", "reason"}}:
 *       close every session of a route or backend instance; with {@code {"action": "shed", "route", "percent",
 *       "window", "code", "reason"}}: close a share of a route's sessions at random moments of the window.
 * </ul>
 *
 * The client gets the chosen code (1001 by default; 1000, 1008, 1011, 1012, 1013 or 4000-4999), the backend 1001;
 * the closes count as the gateway's ({@code reason="operator"}). Each write is logged with the management request's
 * address and counted in {@code wsgate.admin.writes}.
 */
@Endpoint(id = "wsgate")
public class SessionsEndpoint {

    private final SessionAdmin admin;

    private final boolean writeEnabled;

    SessionsEndpoint(SessionAdmin admin, boolean writeEnabled) {
        this.admin = admin;
        this.writeEnabled = writeEnabled;
    }

    @ReadOperation
    public WebEndpointResponse<Object> sessions(
            @Nullable String route,
            @Nullable String client,
            @Nullable String backend,
            @Nullable Integer page,
            @Nullable Integer size) {
        int pageSize = size != null ? size : SessionAdmin.DEFAULT_PAGE_SIZE;
        int pageNumber = page != null ? page : 0;
        if (pageSize < 1 || pageSize > SessionAdmin.MAX_PAGE_SIZE || pageNumber < 0) {
            return error(400, "page must be 0 or more and size from 1 to " + SessionAdmin.MAX_PAGE_SIZE);
        }
        return new WebEndpointResponse<>(
                this.admin.list(new SessionAdmin.Filter(route, client, backend), pageNumber, pageSize));
    }

    @ReadOperation
    public WebEndpointResponse<Object> session(@Selector String id) {
        SessionView view = this.admin.find(id);
        return view != null ? new WebEndpointResponse<>(view) : error(404, "no open session " + id);
    }

    @DeleteOperation
    public Mono<WebEndpointResponse<Object>> close(
            @Selector String id, @Nullable Integer code, @Nullable String reason) {
        return requester().map(requester -> {
            WebEndpointResponse<Object> refused = refusal("close-session", code, reason, requester);
            if (refused != null) {
                return refused;
            }
            return this.admin.close(id, SessionAdmin.closeStatus(code, reason), requester)
                    ? new WebEndpointResponse<>(Map.of("closed", 1))
                    : error(404, "no open session " + id);
        });
    }

    @WriteOperation
    public Mono<WebEndpointResponse<Object>> act(
            String action,
            @Nullable String route,
            @Nullable String backend,
            @Nullable Integer code,
            @Nullable String reason,
            @Nullable Integer percent,
            @Nullable String window) {
        return requester().map(requester -> switch (action) {
            case "close" -> closeAll(route, backend, code, reason, requester);
            case "shed" -> shed(route, percent, window, code, reason, requester);
            default -> error(400, "action must be close or shed, not " + action);
        });
    }

    private WebEndpointResponse<Object> closeAll(
            String route, String backend, Integer code, String reason, String requester) {
        String operation = route != null ? "close-route" : "close-backend";
        WebEndpointResponse<Object> refused = refusal(operation, code, reason, requester);
        if (refused != null) {
            return refused;
        }
        if ((route == null) == (backend == null)) {
            this.admin.refused(operation, "neither or both of route and backend", requester);
            return error(400, "close needs a route or a backend (one of them)");
        }
        int closed = this.admin.closeAll(
                operation,
                new SessionAdmin.Filter(route, null, backend),
                SessionAdmin.closeStatus(code, reason),
                requester);
        return new WebEndpointResponse<>(Map.of("closed", closed));
    }

    private WebEndpointResponse<Object> shed(
            String route, Integer percent, String window, Integer code, String reason, String requester) {
        WebEndpointResponse<Object> refused = refusal("shed", code, reason, requester);
        if (refused != null) {
            return refused;
        }
        Duration spread;
        try {
            spread = window != null ? DurationStyle.detectAndParse(window) : Duration.ZERO;
        } catch (IllegalArgumentException | DateTimeParseException ex) {
            spread = null;
        }
        if (route == null
                || percent == null
                || percent < 1
                || percent > 100
                || spread == null
                || spread.isNegative()
                || spread.compareTo(SessionAdmin.MAX_SHED_WINDOW) > 0) {
            this.admin.refused("shed", "bad arguments", requester);
            return error(400, "shed needs a route, a percent from 1 to 100 and a window (e.g. 30s) of at most 1h");
        }
        int shed = this.admin.shed(route, percent, spread, SessionAdmin.closeStatus(code, reason), requester);
        return new WebEndpointResponse<>(Map.of("shedding", shed, "windowMillis", spread.toMillis()));
    }

    /** The answer to a write that may not run: writes off (403) or a close code a gateway must not send (400). */
    private WebEndpointResponse<Object> refusal(String operation, Integer code, String reason, String requester) {
        if (!this.writeEnabled) {
            this.admin.refused(operation, "wsgate.admin.write-enabled is false", requester);
            return error(403, "write operations are off: set wsgate.admin.write-enabled=true");
        }
        CloseStatus status = SessionAdmin.closeStatus(code, reason);
        if (status == null) {
            this.admin.refused(operation, "close code " + code, requester);
            return error(400, "code must be 1000, 1001, 1008, 1011, 1012, 1013 or 4000-4999, not " + code);
        }
        return null;
    }

    /** The management request's client address, for the log line of a write. */
    private static Mono<String> requester() {
        return Mono.deferContextual(
                context -> Mono.just(context.getOrDefault(AdminConfiguration.REQUESTER, "an unknown address")));
    }

    private static WebEndpointResponse<Object> error(int status, String message) {
        return new WebEndpointResponse<>(Map.of("status", status, "error", message), status);
    }
}
