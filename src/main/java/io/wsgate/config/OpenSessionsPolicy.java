package io.wsgate.config;

/**
 * What a route reload does to the sessions already open on a route that it removes or points at another backend
 * ({@code wsgate.reload.on-route-removed}, {@code wsgate.reload.on-uri-changed}, or the route's metadata keys of the
 * same names).
 */
public enum OpenSessionsPolicy {
    /** They stay open on the backend they were opened with, until they end by themselves. */
    KEEP,
    /** They are closed with 1001, spread over {@code wsgate.reload.drain-window}, so their clients reconnect. */
    DRAIN,
    /** They are closed with 1001 at once. */
    CLOSE
}
