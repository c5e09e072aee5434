/**
 * Graceful shutdown: readiness off, new handshakes refused with 503, every open session closed with 1001 over the
 * drain window. Uses the register of {@code session}, the handshake answers of {@code proxy}, {@code metrics},
 * {@code config} and {@code vocabulary}.
 */
package io.wsgate.drain;
