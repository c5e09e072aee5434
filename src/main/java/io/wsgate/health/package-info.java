/**
 * Each route's backend as an Actuator health contributor, probed in the background. Uses {@code config} and
 * {@code metrics}; not the sessions.
 */
package io.wsgate.health;
