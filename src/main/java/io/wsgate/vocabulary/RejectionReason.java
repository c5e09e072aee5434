package io.wsgate.vocabulary;

/** Why an upgrade request got an HTTP error instead of a 101; the {@code reason} tag. */
public enum RejectionReason {
    /** Not a valid WebSocket upgrade (wrong version, missing key, not a GET...). */
    BAD_REQUEST("bad-request"),
    /** The backend answered the handshake with an HTTP status instead of 101, or with an invalid 101. */
    BACKEND_REFUSED("backend-refused"),
    /** The backend answered 101 selecting a subprotocol the client did not offer (502). */
    BACKEND_SUBPROTOCOL("backend-subprotocol"),
    /** The backend could not be connected to. */
    BACKEND_UNREACHABLE("backend-unreachable"),
    /** The TLS handshake with a {@code wss://} backend failed (an untrusted or mismatched certificate, say). */
    BACKEND_TLS("backend-tls"),
    /** The backend did not answer within {@code wsgate.proxy.handshake-timeout}. */
    BACKEND_TIMEOUT("backend-timeout"),
    /** A load-balanced route had no instance to send to. */
    NO_INSTANCE("no-instance"),
    /** The route's or the gateway's session limit was reached (503). */
    TOO_MANY_SESSIONS("too-many-sessions"),
    /** The client address made handshakes faster than the route's handshake rate allows (429). */
    RATE_LIMITED("rate-limited"),
    /** The request's Origin is not among the route's allowed origins (403). */
    ORIGIN_FORBIDDEN("origin-forbidden"),
    /**
     * The route's wsgate metadata has a value wsgate cannot use (500, logged): only for a route put in force without
     * the start-up and reload checks (the actuator's route API, a {@code RouteLocator} bean).
     */
    MISCONFIGURED("misconfigured"),
    /** The gateway is draining for shutdown (503 with Retry-After). */
    SHUTTING_DOWN("shutting-down"),
    /** No complete request head within {@code wsgate.handshake.header-timeout} (slowloris): 408. */
    HEADER_TIMEOUT("header-timeout");

    private final String tag;

    RejectionReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return this.tag;
    }
}
