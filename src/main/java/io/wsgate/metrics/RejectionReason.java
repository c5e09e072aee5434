package io.wsgate.metrics;

/** Why an upgrade request got an HTTP error instead of a 101; the {@code reason} tag. */
public enum RejectionReason {
    /** Not a valid WebSocket upgrade (wrong version, missing key, not a GET...). */
    BAD_REQUEST("bad-request"),
    /** The backend answered the handshake with an HTTP status instead of 101. */
    BACKEND_REFUSED("backend-refused"),
    /** The backend could not be connected to. */
    BACKEND_UNREACHABLE("backend-unreachable"),
    /** The backend did not answer within {@code wsgate.proxy.handshake-timeout}. */
    BACKEND_TIMEOUT("backend-timeout"),
    /** A load-balanced route had no instance to send to. */
    NO_INSTANCE("no-instance"),
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
