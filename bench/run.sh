#!/usr/bin/env bash
# wsgate benchmark, one command: bench/run.sh [options] (bench/run.sh --help lists them; docs/benchmark.md explains).
# Builds the jar when there is none (or with --build), lays out the container image's runtime from the Dockerfile
# (deploy/image/layout.sh: JDK 25, AOT cache, the ENTRYPOINT's flags; --no-image measures the plain jar on the
# default java instead), installs the Node.js `ws` package into bench/node_modules, raises the open-files limit to
# its hard limit, and runs bench.js: direct vs wsgate vs nginx (where installed).
set -euo pipefail
cd "$(dirname "$0")/.."

build=false
image=true
args=()
for arg in "$@"; do
  case "$arg" in
    --build) build=true ;;
    --no-image) image=false ;;
    --help | -h) exec node bench/bench.js --help ;;
    *) args+=("$arg") ;;
  esac
done

if $build; then
  rm -f target/wsgate-*.jar
fi
if ! ls target/wsgate-*.jar >/dev/null 2>&1; then
  ./mvnw -q -B -DskipTests -Dspotless.check.skip=true package
fi
if $image; then
  # The image's /app, JDK and flags, as the Dockerfile makes them (bench/results/ is ignored by git).
  deploy/image/layout.sh bench/results/image
  args=(--image bench/results/image "${args[@]}")
fi
if [[ ! -d bench/node_modules/ws ]]; then
  (cd bench && npm ci --no-audit --no-fund --silent)
fi
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] \
  || echo "nginx is not installed (apt-get install -y nginx): measuring without it" >&2

# 9,000 idle proxied sessions hold 18,000 sockets in the proxy: raise the soft limit as far as the hard one allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node bench/bench.js "${args[@]}"
