package io.wsgate.vocabulary;

/** Why the gateway itself closed a proxied session; the {@code reason} tag of {@code wsgate.gateway.closes}. */
public enum GatewayCloseReason {
    /** No text or binary message either way for the route's idle timeout. */
    IDLE_TIMEOUT("idle-timeout"),
    /** The session reached the route's max session age (plus jitter). */
    MAX_SESSION_AGE("max-session-age"),
    /** The gateway is shutting down and drained the session. */
    SHUTDOWN("shutdown"),
    /** A route reload removed the session's route ({@code on-route-removed: drain} or {@code close}). */
    ROUTE_REMOVED("route-removed"),
    /** A route reload gave the session's route another uri ({@code on-uri-changed: drain} or {@code close}). */
    URI_CHANGED("uri-changed"),
    /** An operator closed it through the management endpoint ({@code /actuator/wsgate}). */
    OPERATOR("operator"),
    /** The client sent a message larger than the route allows. */
    CLIENT_MESSAGE_TOO_BIG("client-message-too-big"),
    /** The backend sent a message larger than the route allows. */
    BACKEND_MESSAGE_TOO_BIG("backend-message-too-big"),
    /** The backend sent more fragments in one message, or more pings and pongs per second, than allowed. */
    BACKEND_POLICY_VIOLATION("backend-policy-violation"),
    /** The client did not answer a keepalive ping within the pong timeout. */
    CLIENT_PONG_TIMEOUT("client-pong-timeout"),
    /** The backend did not answer a keepalive ping within the pong timeout. */
    BACKEND_PONG_TIMEOUT("backend-pong-timeout"),
    /** Reactor Netty gave up a leg on its own (a failed write or relay stream); both legs get 1011. */
    RELAY_ERROR("relay-error");

    private final String tag;

    GatewayCloseReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return this.tag;
    }
}
