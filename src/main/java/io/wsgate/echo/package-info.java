/**
 * The bundled echo backend (uppercases every text message), in the gateway and as the echo-only mode. Uses only
 * {@code config}: it is a backend like any other and knows nothing of the proxy.
 */
package io.wsgate.echo;
