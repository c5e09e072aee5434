/**
 * A proxied WebSocket session from the client's upgrade to the end of both connections: the relay of messages,
 * its timers, the register of open sessions, and {@link io.wsgate.session.SessionLifecycle}, the one place that
 * decides how a session ends and what each leg is sent ({@link io.wsgate.session.LegGate} carries it out on each
 * connection). Uses {@code metrics}, {@code config} and {@code vocabulary}; not the handshake ({@code proxy}).
 */
package io.wsgate.session;
