package io.wsgate.session;

import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.GatewayCloseReason;
import io.wsgate.vocabulary.Leg;
import java.time.Duration;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * The gateway ending a session itself: the status each leg gets, why (the meter's reason), and a detail for the
 * session log.
 */
public record GatewayClose(GatewayCloseReason reason, CloseStatus toClient, CloseStatus toBackend, String detail) {

    private static final int GOING_AWAY = CloseStatus.GOING_AWAY.getCode();

    static GatewayClose idle(Duration idleTimeout) {
        return bothLegs(
                GatewayCloseReason.IDLE_TIMEOUT, "idle timeout", "no message either way for " + millis(idleTimeout));
    }

    static GatewayClose maxSessionAge(Duration limit) {
        return bothLegs(
                GatewayCloseReason.MAX_SESSION_AGE,
                "session age limit",
                "session reached its age limit of " + millis(limit));
    }

    /**
     * Reactor Netty gave up a leg on its own (a failed write or relay stream): both legs hear of an unexpected
     * condition.
     */
    static GatewayClose relayFailed(Leg leg) {
        CloseStatus status = new CloseStatus(CloseStatus.SERVER_ERROR.getCode(), "gateway relay error");
        return new GatewayClose(
                GatewayCloseReason.RELAY_ERROR, status, status, "the " + leg.tag() + " leg failed in the relay");
    }

    /** A reload removed the session's route: both legs get 1001, so the client reconnects to the routes in force. */
    public static GatewayClose routeRemoved() {
        return bothLegs(GatewayCloseReason.ROUTE_REMOVED, "route removed", "a route reload removed the route");
    }

    /** A reload gave the session's route another uri: both legs get 1001, so the client reconnects to the new one. */
    public static GatewayClose uriChanged() {
        return bothLegs(GatewayCloseReason.URI_CHANGED, "route changed", "a route reload changed the route's uri");
    }

    public static GatewayClose shutdown() {
        return bothLegs(GatewayCloseReason.SHUTDOWN, "going away", "gateway shutting down");
    }

    /**
     * An operator's close through the management endpoint: the client gets {@code toClient} (1001, 1008, 1012 "service
     * restart", 1013 "try again later"...), the backend 1001 with the same reason, as its peer is going away.
     */
    public static GatewayClose byOperator(CloseStatus toClient, String detail) {
        String reason = toClient.getReason() != null ? toClient.getReason() : "";
        return new GatewayClose(GatewayCloseReason.OPERATOR, toClient, new CloseStatus(GOING_AWAY, reason), detail);
    }

    /** The sender gets 1009; the other leg a clean 1001 saying why its peer is gone. */
    static GatewayClose messageTooBig(Direction direction, long size, long limit) {
        String detail = direction.tag() + " message of " + size + "B over the route's limit of " + limit + "B";
        CloseStatus tooBig = new CloseStatus(CloseStatus.TOO_BIG_TO_PROCESS.getCode(), "message too big");
        return direction == Direction.CLIENT_TO_BACKEND
                ? new GatewayClose(
                        GatewayCloseReason.CLIENT_MESSAGE_TOO_BIG,
                        tooBig,
                        new CloseStatus(GOING_AWAY, "client sent a message too big"),
                        detail)
                : new GatewayClose(
                        GatewayCloseReason.BACKEND_MESSAGE_TOO_BIG,
                        new CloseStatus(GOING_AWAY, "backend sent a message too big"),
                        tooBig,
                        detail);
    }

    /**
     * The backend broke a frame rule ({@code pipeline.FrameCheck}; {@code status}: 1009 or 1008 with why). A message
     * too big closes both legs as {@link #messageTooBig} does; a broken cap gives the backend {@code status} and the
     * client a clean 1001 saying its backend failed.
     */
    static GatewayClose backendFailed(CloseStatus status) {
        String detail = "backend failed: " + status.getReason();
        if (status.getCode() == CloseStatus.TOO_BIG_TO_PROCESS.getCode()) {
            GatewayClose tooBig = messageTooBig(Direction.BACKEND_TO_CLIENT, 0, 0);
            return new GatewayClose(tooBig.reason(), tooBig.toClient(), tooBig.toBackend(), detail);
        }
        return new GatewayClose(
                GatewayCloseReason.BACKEND_POLICY_VIOLATION,
                new CloseStatus(GOING_AWAY, "backend failed with " + status.getCode()),
                status,
                detail);
    }

    /** A leg that stopped answering pings; both legs get 1001 (the silent one will likely never read it). */
    static GatewayClose pongTimeout(Leg leg, Duration pongTimeout) {
        String peer = leg.tag();
        return bothLegs(
                leg == Leg.CLIENT ? GatewayCloseReason.CLIENT_PONG_TIMEOUT : GatewayCloseReason.BACKEND_PONG_TIMEOUT,
                peer + " not responding",
                "no pong from the " + peer + " within " + millis(pongTimeout));
    }

    private static GatewayClose bothLegs(GatewayCloseReason reason, String closeReason, String detail) {
        CloseStatus status = new CloseStatus(GOING_AWAY, closeReason);
        return new GatewayClose(reason, status, status, detail);
    }

    private static String millis(Duration duration) {
        return duration.toMillis() + "ms";
    }

    /** The code recorded for the session: the one sent to the leg at fault (1009 to a too-big sender), else 1001. */
    int code() {
        return Math.max(this.toClient.getCode(), this.toBackend.getCode());
    }
}
