/**
 * wsgate's meters: the names in {@link io.wsgate.metrics.WsgateMeterNames}, one
 * {@link io.wsgate.metrics.RouteMeters} per route. Uses only {@code vocabulary}; the open-session gauges read the
 * session register through {@link io.wsgate.metrics.ActiveSessions}.
 */
package io.wsgate.metrics;
