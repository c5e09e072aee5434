/**
 * Tokens at the handshake: a route with {@code auth: jwt} admits a client only with a valid JWT from the configured
 * issuer (scopes and claim values as the route requires), strips it from what the backend gets, and ends the session
 * when it expires. Also keeps Spring Security's own web defaults off. Uses {@code config}, {@code metrics},
 * {@code vocabulary}, the handshake answers and filter order of {@code proxy}, and the address format of
 * {@code session}.
 */
package io.wsgate.auth;
