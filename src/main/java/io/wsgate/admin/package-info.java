/**
 * The operator's handle on open sessions: the {@code wsgate} actuator endpoint on the management port (list, count,
 * close, shed). Uses the register of {@code session}, {@code config}, {@code metrics} and {@code vocabulary}.
 */
package io.wsgate.admin;
