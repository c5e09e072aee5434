/**
 * Which backend instance of an {@code lb:} route a new session goes to: the route's {@code lb-policy} (round robin,
 * least sessions, consistent hash) as Spring Cloud LoadBalancer's load balancer. Uses the register of
 * {@code session} and the route settings of {@code config}.
 */
package io.wsgate.balancing;
