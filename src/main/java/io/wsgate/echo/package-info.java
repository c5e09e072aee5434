/**
 * The bundled echo backend (uppercases every text message), in the gateway and as the echo-only mode. Uses only
 * {@code config}: it is a backend like any other and knows nothing of the proxy. {@link io.wsgate.echo.TryItPage} is the
 * page at {@code GET /} to try it in a browser. {@link io.wsgate.echo.EchoProbe} is its
 * client for a deployment check (the Helm chart's {@code helm test}): one round trip, JDK only.
 */
package io.wsgate.echo;
