/**
 * Who may open a session: session limits, the per-client handshake rate, allowed Origins, and the client's real
 * address from trusted proxies (Forwarded headers, PROXY protocol). Uses {@code config}, {@code metrics},
 * {@code vocabulary}, the open-session count of {@code session} and the handshake answers of {@code proxy}.
 */
package io.wsgate.admission;
