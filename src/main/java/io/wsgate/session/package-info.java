/**
 * A proxied WebSocket session from the client's upgrade to the end of both connections: the relay of messages,
 * its timers, and {@link io.wsgate.session.SessionLifecycle}, the one place that decides how a session ends and
 * what each leg is sent. Uses the meters ({@code metrics}), the route's {@code RoutePolicy} ({@code config}) and
 * Reactor Netty / Netty; not the handshake ({@code proxy}).
 */
package io.wsgate.session;
