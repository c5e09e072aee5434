package io.wsgate.config;

/** Whether a route's handshakes need a token: {@code auth} in its metadata, {@code wsgate.auth.default} otherwise. */
public enum AuthMode {
    /** No token checked; whatever the client sends goes to the backend as it is. */
    NONE,
    /** A JWT from the configured issuer, checked at the handshake (docs/auth.md). */
    JWT
}
