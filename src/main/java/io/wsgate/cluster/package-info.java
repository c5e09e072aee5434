/**
 * Limits shared by all replicas ({@code wsgate.cluster.store: redis}): the session counts and handshake-rate buckets
 * of admission's {@code SharedLimits} kept on Redis, with a heartbeat per replica so that a crashed replica's counts
 * expire, and a fall back to each replica's own limits while Redis does not answer. Uses {@code admission} (the
 * interface it implements), {@code config} and {@code metrics}.
 */
package io.wsgate.cluster;
