/**
 * Netty handlers wsgate adds to a connection's pipeline, behind two entry points: the request-head timeout on every
 * traffic connection, and {@link io.wsgate.pipeline.FrameCheck} on each leg of a proxied session. They report what
 * they refuse and leave the close to the session. Uses {@code session}'s close codes, {@code metrics},
 * {@code config} and {@code vocabulary}.
 */
package io.wsgate.pipeline;
