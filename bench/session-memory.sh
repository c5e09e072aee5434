#!/usr/bin/env bash
# Objects and bytes per idle proxied session, from the gateway's class histogram: bench/session-memory.sh [options]
# (--help lists them; docs/benchmark.md, "Objects and bytes per idle session", explains). Builds the jar when there
# is none (or with --build), raises the open-files limit, and runs bench/SessionMemory.java (JDK only, no npm).
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
for arg in "$@"; do
  case "$arg" in
    --build) rm -f target/wsgate-*.jar ;;
    *) args+=("$arg") ;;
  esac
done
if ! ls target/wsgate-*.jar >/dev/null 2>&1; then
  ./mvnw -q -B -DskipTests -Dspotless.check.skip=true package
fi
# 4,000 idle proxied sessions hold 8,000 sockets in the gateway.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec java bench/SessionMemory.java "${args[@]}"
