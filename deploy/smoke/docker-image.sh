#!/usr/bin/env bash
# Builds the container image with `docker build` from the Dockerfile as committed and runs it the way a cluster
# would: memory limit 512m, read-only root filesystem with a tmpfs /tmp, the image's non-root user, the routes
# mounted at /app/config. CI runs it after `./mvnw -B verify`; it needs root, Debian's docker.io and debootstrap.
#   deploy/smoke/docker-image.sh
# Starts dockerd when none answers (deploy/smoke/docker-engine.sh) and builds stand-ins for the Dockerfile's base
# images when no registry has them. Everything runs with --network host on free loopback ports. Checks, each
# failing with a FAILED line: the AOT cache is used (-XX:AOTMode=on, which stops the start when the JVM cannot
# use the cache; a start with a flag the cache was not made with must fail), the JVM runs as uid/gid 10001 on a
# read-only root filesystem, the heap follows the memory limit, a route added to the mounted file answers 101
# without a restart, 2,000 idle sessions through the gateway fit in 512 MiB, `docker stop` drains them all with
# 1001 and the JVM ends by itself with status 0 within the grace period, and the echo profile answers.
# Leaves the image as wsgate:local (the name docker-compose.yml gives it) for deploy/smoke/docker-compose-up.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

export WSGATE_SMOKE_DIR="${WSGATE_SMOKE_DIR:-target/docker-smoke}"
mkdir -p "$WSGATE_SMOKE_DIR"
logs="$WSGATE_SMOKE_DIR"
image=wsgate:local
sessions=${WSGATE_SMOKE_SESSIONS:-2000}
memory=512m
grace=30
work="$(mktemp -d)"
chmod 755 "$work"
containers=()
load=""

fail() {
  echo "docker image smoke: FAILED: $*" >&2
  for c in "${containers[@]}"; do
    echo "--- container $c (log tail)" >&2
    docker logs --tail 40 "$c" >&2 2>&1 || true
  done
  exit 1
}
say() { echo "docker image smoke: $*"; }

# shellcheck source=deploy/smoke/docker-engine.sh
. deploy/smoke/docker-engine.sh
# shellcheck source=deploy/smoke/lib.sh
. deploy/smoke/lib.sh

cleanup() {
  [ -n "$load" ] && kill "$load" 2>/dev/null
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  engine_stop
  rm -rf "$work"
}
trap cleanup EXIT

for tool in java curl; do command -v "$tool" >/dev/null || fail "$tool not found"; done

# The HTTP status of a WebSocket upgrade (101 or the refusal).
upgrade_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$1" || true
}

# A sample of a meter from a Prometheus endpoint: the sum of the lines that start with the given name and labels.
metric() {
  curl -fsS "$1" | awk -v name="$2" 'index($0, name) == 1 { sum += $NF } END { printf "%.0f\n", sum }'
}

run() {
  local name="$1"; shift
  docker rm -f "$name" >/dev/null 2>&1 || true
  containers+=("$name")
  docker run -d --name "$name" --network host -m "$memory" --read-only --tmpfs /tmp "$@" >/dev/null \
    || fail "docker run $name failed"
}

# --- Engine, base images, build.
engine_start
for base in $(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile); do base_image "$base"; done
started=$SECONDS
docker build --network host -t "$image" . >"$logs/build.log" 2>&1 || { tail -n 30 "$logs/build.log" >&2; fail "docker build failed (log: $logs/build.log)"; }
say "docker build of the Dockerfile as committed: $((SECONDS - started)) s, image $image" \
  "$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')" \
  "(base $(sed -n 's/^FROM \([^ ]*\)$/\1/p' Dockerfile | tail -n 1))"

# --- The echo profile: the same image as a backend.
echo_port=$(free_port); echo_mgmt=$(free_port)
run wsgate-smoke-echo -e SPRING_PROFILES_ACTIVE=echo "$image" --server.port="$echo_port" --management.server.port="$echo_mgmt"
await_http "http://127.0.0.1:$echo_mgmt/actuator/health" wsgate-smoke-echo
java deploy/smoke/WsLoad.java "ws://127.0.0.1:$echo_port/" 1 0 >"$work/echo.out" 2>&1 || fail "echo profile: $(cat "$work/echo.out")"
grep -q '^open 1 ' "$work/echo.out" || fail "echo profile: $(cat "$work/echo.out")"
say "echo profile (SPRING_PROFILES_ACTIVE=echo): hello 1 -> HELLO 1 on port $echo_port"

# --- The gateway: routes mounted at /app/config (a directory, as docker-compose.yml and the chart mount it).
gw=$(free_port); gw_mgmt=$(free_port)
mkdir -p "$work/config"
routes() {
  cat <<EOF
spring:
  cloud:
    gateway:
      server:
        webflux:
          routes:
            - id: backend
              uri: ws://127.0.0.1:$echo_port
              predicates:
                - Path=/ws/**
              filters:
                - StripPrefix=1
$(for extra in "$@"; do cat <<ROUTE
            - id: $extra
              uri: ws://127.0.0.1:$echo_port
              predicates:
                - Path=/$extra/**
              filters:
                - StripPrefix=1
ROUTE
done)
wsgate:
  echo:
    enabled: false
EOF
}
routes >"$work/config/application.yml"
chmod -R a+rX "$work/config"

# The AOT cache must fit: -XX:AOTMode=on stops the JVM at start-up when it cannot use the cache. First the control:
# a flag the cache was not made with must stop the start, or the check below proves nothing.
run wsgate-smoke-control -e JDK_JAVA_OPTIONS="-XX:AOTMode=on -XX:-UseCompressedOops" "$image" --server.port=0 --management.server.port=0
for _ in $(seq 1 60); do
  [ "$(docker inspect -f '{{.State.Running}}' wsgate-smoke-control)" = false ] && break
  sleep 0.5
done
control=$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}}' wsgate-smoke-control)
[ "${control%% *}" = false ] && [ "${control##* }" != 0 ] || fail "control: with -XX:-UseCompressedOops, -XX:AOTMode=on did not stop the start: the AOT check cannot fail"
say "control: -XX:-UseCompressedOops (the cache was made with compressed oops) stops an -XX:AOTMode=on start:" \
  "$(docker logs wsgate-smoke-control 2>&1 | sed -n '/Unable to use AOT cache/{p;q}')"
docker rm -f wsgate-smoke-control >/dev/null
unset 'containers[-1]'

run wsgate-smoke-gateway -e JDK_JAVA_OPTIONS=-XX:AOTMode=on -e WSGATE_SHUTDOWN_DRAINWINDOW=10s \
  -v "$work/config:/app/config:ro" "$image" --server.port="$gw" --management.server.port="$gw_mgmt"
await_http "http://127.0.0.1:$gw_mgmt/readyz" wsgate-smoke-gateway
docker logs wsgate-smoke-gateway >"$work/gateway.log" 2>&1
grep -q 'Picked up JDK_JAVA_OPTIONS: -XX:AOTMode=on' "$work/gateway.log" || fail "-XX:AOTMode=on was not applied"
say "AOT cache used: the gateway started with -XX:AOTMode=on (the JVM stops at start-up when it cannot map the cache)"

ids=$(docker exec wsgate-smoke-gateway sh -c "awk '/^Uid:|^Gid:/ {print \$2}' /proc/1/status | tr '\n' ' '")
[ "$ids" = "10001 10001 " ] || fail "the JVM runs as uid/gid $ids, not 10001"
[ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' wsgate-smoke-gateway)" = true ] || fail "root filesystem not read-only"
docker exec wsgate-smoke-gateway sh -c 'touch /app/probe' 2>/dev/null && fail "/app is writable"
say "the JVM (pid 1) runs as uid/gid 10001 on a read-only root filesystem (/tmp a tmpfs)"

# Netty's native transport: its event loop threads are named reactor-http-epoll-N (reactor-http-nio-N when Netty
# could not load its epoll library and fell back to NIO); the kernel keeps the first 15 characters of the names.
threads=$(docker exec wsgate-smoke-gateway sh -c 'cat /proc/1/task/*/comm' | grep -c '^reactor-http-ep' || true)
[ "$threads" -ge 1 ] || fail "the gateway runs Netty's NIO transport, not epoll: $(grep -m 1 NativeLibraryLoader "$work/gateway.log")"
say "Netty's epoll transport loaded on the read-only root filesystem with a noexec /tmp ($threads epoll event loop threads)"

prom="http://127.0.0.1:$gw_mgmt/actuator/prometheus"
# The heap pools' maximum sizes (G1 reports only its old generation's; Serial, which the JVM picks below 1792 MB,
# eden, one survivor space and the tenured generation): about MaxRAMPercentage=75 of the limit, not of the host.
curl -fsS "$prom" >"$work/metrics.txt"
heap=$(awk '/^jvm_memory_max_bytes\{.*area="heap"/ && $NF > 0 { sum += $NF } END { printf "%.0f\n", sum }' "$work/metrics.txt")
collector=$(sed -n 's/^jvm_memory_max_bytes{.*area="heap",id="\(G1 Old Gen\|Tenured Gen\)".*/\1/p' "$work/metrics.txt")
limit=$((512 * 1024 * 1024))
[ "$heap" -ge $((limit * 65 / 100)) ] && [ "$heap" -le $((limit * 80 / 100)) ] \
  || fail "max heap $heap bytes is not about 75% of the 512 MiB limit (MaxRAMPercentage=75)"
say "heap follows the memory limit: max heap $((heap / 1024 / 1024)) MiB of the $memory limit (old generation: $collector)"

# --- A route added to the mounted file answers without a restart (hot reload, docs/routes-reload-tls.md).
[ "$(upgrade_status "http://127.0.0.1:$gw/fresh/x")" = 404 ] || fail "/fresh/ answered before the route was added"
routes fresh >"$work/config/application.yml.new"
chmod a+r "$work/config/application.yml.new"
mv "$work/config/application.yml.new" "$work/config/application.yml"
status=""
for _ in $(seq 1 60); do
  status=$(upgrade_status "http://127.0.0.1:$gw/fresh/x")
  [ "$status" = 101 ] && break
  sleep 0.5
done
[ "$status" = 101 ] || fail "the route added to /app/config/application.yml does not answer 101 within 30 s (got $status)"
say "route file edited on the mount: the new route /fresh/** answers 101 without a restart"

# --- Idle sessions in 512 MiB.
java deploy/smoke/WsLoad.java "ws://127.0.0.1:$gw/ws/" "$sessions" 600 >"$work/load.out" 2>&1 &
load=$!
for _ in $(seq 1 600); do
  grep -q '^open ' "$work/load.out" && break
  kill -0 "$load" 2>/dev/null || break
  sleep 0.5
done
grep -q '^open ' "$work/load.out" || fail "$sessions sessions: $(tail -n 5 "$work/load.out")"
active=$(metric "$prom" 'wsgate_sessions_active{')
[ "$active" = "$sessions" ] || fail "the gateway counts $active active sessions, not $sessions"
sleep 5
[ "$(docker inspect -f '{{.State.Running}} {{.State.OOMKilled}}' wsgate-smoke-gateway)" = "true false" ] \
  || fail "the gateway did not survive $sessions sessions in $memory"
usage=$(docker stats --no-stream --format '{{.MemUsage}}' wsgate-smoke-gateway)
rss=$(docker exec wsgate-smoke-gateway awk '/^VmRSS:/ {printf "%d MiB", $2 / 1024}' /proc/1/status)
say "$sessions idle sessions relayed (opened $(sed -n 's/^open [0-9]* (\(.*\))$/\1/p' "$work/load.out")): wsgate_sessions_active = $active," \
  "not OOM-killed; docker stats: $usage; JVM RSS $rss"

# --- docker stop drains: every session closed with 1001, the JVM ends on its own within the grace period with status
# 0 (wsgate's SIGTERM handler, drain/ExitOnTerm; the JVM alone would give 143); 137 would mean docker had to kill it
# at the end of the grace period.
started=$(date +%s%N)
docker stop -t "$grace" wsgate-smoke-gateway >/dev/null
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
wait "$load" || true
load=""
exit_code=$(docker inspect -f '{{.State.ExitCode}}' wsgate-smoke-gateway)
drained=$(sed -n 's/^closed 1001 //p' "$work/load.out")
[ "${drained:-0}" = "$sessions" ] || fail "docker stop: ${drained:-0} of $sessions sessions closed with 1001: $(grep -E '^(closed|still)' "$work/load.out" | tr '\n' ' ')"
[ "$exit_code" = 0 ] || fail "docker stop: the gateway exited with $exit_code, not 0"
[ "$elapsed_ms" -lt $((grace * 1000)) ] || fail "docker stop took ${elapsed_ms} ms: the gateway did not stop within the ${grace} s grace period"
docker logs wsgate-smoke-gateway >"$work/gateway.log" 2>&1
grep -q 'Drained: every session closed' "$work/gateway.log" || fail "no 'Drained: every session closed' in the gateway's log"
say "docker stop -t $grace: $drained of $sessions sessions closed with 1001 over the 10 s drain window;" \
  "'Drained: every session closed'; the JVM exited by itself with $exit_code after" \
  "$((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
say "OK"
