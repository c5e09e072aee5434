package io.wsgate.metrics;

/**
 * Where the {@code wsgate.sessions.active} gauges read from: the register of open sessions, which the session
 * package keeps. An interface here so that the meters do not depend on the sessions.
 */
@FunctionalInterface
public interface ActiveSessions {

    /** Sessions of {@code routeId} open now. */
    long activeOn(String routeId);
}
