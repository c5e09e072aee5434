/**
 * Routes edited while the gateway runs: the route file is watched, dry-run with the same parsers as at start-up,
 * and put in force whole (in the gateway's route repository) or rejected whole. Uses {@code config} and
 * {@code metrics}.
 */
package io.wsgate.reload;
