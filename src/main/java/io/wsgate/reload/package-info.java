/**
 * Routes edited while the gateway runs: the route file is watched, dry-run with the same parsers as at start-up,
 * and put in force whole (in the gateway's route repository) or rejected whole; the sessions open on removed or
 * re-pointed routes kept, drained or closed. Uses {@code config}, {@code metrics}, the register and closes of
 * {@code session}.
 */
package io.wsgate.reload;
