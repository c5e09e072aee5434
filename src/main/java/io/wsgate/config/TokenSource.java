package io.wsgate.config;

/** Where a route accepts a client's token from ({@code auth-token-from}). */
public enum TokenSource {
    /** {@code Authorization: Bearer <token>}. */
    HEADER,
    /** The {@code access_token} query parameter (RFC 6750 §2.3): what a browser's {@code new WebSocket(url)} can send. */
    QUERY,
    /** The cookie named {@code wsgate.auth.cookie-name}. */
    COOKIE,
    /** A {@code Sec-WebSocket-Protocol} entry {@code bearer.<token>}, never forwarded nor selected. */
    SUBPROTOCOL
}
