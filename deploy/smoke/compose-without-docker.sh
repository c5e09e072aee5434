#!/usr/bin/env bash
# Starts docker-compose.yml's topology without Docker and checks it. First it lays out the image as the
# Dockerfile does (deploy/image/layout.sh): it runs the Dockerfile's layer-extraction RUN command verbatim on
# the jar CI built (CI's `./mvnw -B verify` runs the Dockerfile's `package` with the tests), copies the layers
# its COPY lines name into an /app stand-in and runs its AOT-cache training line with the image's JDK (the
# Temurin JDK 25 under /usr/lib/jvm). From that layout, with the Dockerfile's JAVA_TOOL_OPTIONS and
# ENTRYPOINT (and -XX:AOTMode=on for the gateway, so a cache the JVM cannot use fails the run): the gateway
# with the compose routes file in ./config (as mounted at /app/config), two echo backends in echo mode, and
# Prometheus with deploy/prometheus/prometheus.yml (targets rewritten to loopback ports). Then it relays
# WebSocket sessions through the lb:ws route, checks that both echo backends hold sessions and that
# Prometheus scrapes the gateway. CI runs it after `./mvnw -B verify`.
#   deploy/smoke/compose-without-docker.sh [path/to/wsgate.jar]
# Needs java (17, for WsProbe.java), a JDK 25, curl and prometheus (Debian package `prometheus`).
set -euo pipefail
cd "$(dirname "$0")/../.."

jar="${1:-$(ls target/wsgate-*.jar | head -n 1)}"
for tool in java curl prometheus promtool; do
  command -v "$tool" >/dev/null || { echo "compose smoke: $tool not found (apt-get install prometheus curl)" >&2; exit 1; }
done

work="$(mktemp -d)"
pids=()
probe=""
cleanup() {
  [ -n "$probe" ] && kill "$probe" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "compose smoke: FAILED: $*" >&2
  for log in "$work"/*.log; do echo "--- $log (tail)" >&2; tail -n 40 "$log" >&2; done
  exit 1
}

# shellcheck source=deploy/smoke/lib.sh
. deploy/smoke/lib.sh

# --- The image layout, from the Dockerfile's own lines (deploy/image/layout.sh: extraction, layers, AOT cache).
grep -qx 'RUN ./mvnw -B -DskipTests package' Dockerfile || fail "Dockerfile's Maven build is not CI's package"
grep -q '^\./mvnw -B verify' .ci/run || fail ".ci/run does not run ./mvnw -B verify"
[ "$jar" = "$(ls target/wsgate-*.jar | head -n 1)" ] || fail "the Dockerfile extracts target/wsgate-*.jar; pass no jar argument"
deploy/image/layout.sh "$work/image" || fail "the image layout failed"
image="$work/image/app"
java_home=$(cat "$work/image/java-home")
tool_options=$(cat "$work/image/java-tool-options")
mapfile -t entrypoint <"$work/image/entrypoint"
entrypoint[0]="$java_home/bin/java"
echo "compose smoke: image layout from the Dockerfile: $(ls "$image" | tr '\n' ' ')"
# A container: a working directory holding the image's files (config/ is its own per container).
container() {
  mkdir -p "$work/$1"
  ln -s "$image/application.jar" "$image/lib" "$work/$1/"
  for cache in "$image"/*.aot; do ln -s "$cache" "$work/$1/"; done
}
# Runs the image's ENTRYPOINT with the image's JAVA_TOOL_OPTIONS in a container's directory.
run_container() {
  local name="$1"; shift
  (cd "$work/$name" && JAVA_TOOL_OPTIONS="$tool_options" exec "${entrypoint[@]}" "$@") >"$work/$name.log" 2>&1 &
  pids+=($!)
}

echo1=$(free_port); echo2=$(free_port); echo1m=$(free_port); echo2m=$(free_port)
gw=$(free_port); gwm=$(free_port); prom=$(free_port)

# The two echo backends (services echo-1, echo-2): the same image in echo-only mode.
for i in 1 2; do
  port_var="echo$i"; management_var="echo${i}m"
  container "echo-$i"
  SPRING_PROFILES_ACTIVE=echo run_container "echo-$i" \
    --server.port="${!port_var}" --management.server.port="${!management_var}"
done

# The gateway (service gateway): working directory with config/application.yml, as /app in the image.
container gateway
mkdir -p "$work/gateway/config"
sed -e "s#http://echo-1:8088#http://127.0.0.1:$echo1#" -e "s#http://echo-2:8088#http://127.0.0.1:$echo2#" \
  deploy/compose/gateway/application.yml >"$work/gateway/config/application.yml"
grep -q "127.0.0.1:$echo1" "$work/gateway/config/application.yml" || fail "compose routes file has no echo-1 instance"
# The management flags are the contract the default application.yml is getting; harmless once it has them.
WSGATE_SHUTDOWN_DRAINWINDOW=20s JDK_JAVA_OPTIONS=-XX:AOTMode=on run_container gateway --server.port="$gw" \
  --management.server.port="$gwm" \
  --management.endpoints.web.exposure.include=health,info,prometheus \
  --management.endpoint.health.probes.enabled=true \
  --management.endpoint.health.group.readiness.additional-path=management:/readyz \
  --management.endpoint.health.group.liveness.additional-path=management:/livez

# Prometheus (service prometheus) with the repository's scrape config.
promtool check config deploy/prometheus/prometheus.yml >/dev/null || fail "promtool rejects deploy/prometheus/prometheus.yml"
sed "s#gateway:8081#127.0.0.1:$gwm#" deploy/prometheus/prometheus.yml >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom" >"$work/prometheus.log" 2>&1 &
pids+=($!)

await_http "http://127.0.0.1:$gwm/readyz"
await_http "http://127.0.0.1:$echo1m/actuator/health"
await_http "http://127.0.0.1:$echo2m/actuator/health"
grep -q "Picked up JAVA_TOOL_OPTIONS: $tool_options" "$work/gateway.log" || fail "the image's JVM flags were not applied"
echo "compose smoke: gateway ready with the image's JVM flags ($tool_options)"

# Four sessions through the lb:ws route, held open; round robin spreads them over both backends,
# which is read from the kernel's table of established connections (no extra tools needed).
hold_sessions "ws://127.0.0.1:$gw/ws/" 4
for n in 1 2 3 4; do
  echo "compose smoke: session $n relayed: hello $n -> HELLO $n"
done
for i in 1 2; do
  port_var="echo$i"
  count=$(established_to "${!port_var}")
  [ "$count" -ge 1 ] || fail "echo-$i holds no session"
  echo "compose smoke: echo-$i holds $count of the 4 sessions"
done
release_sessions

# Prometheus scrapes the gateway's /actuator/prometheus on the management port.
up=""
for _ in $(seq 1 60); do
  up=$(curl -fsS "http://127.0.0.1:$prom/api/v1/query?query=up%7Bjob%3D%22wsgate%22%7D" 2>/dev/null || true)
  echo "$up" | grep -q '"value":\[[0-9.]*,"1"\]' && break
  sleep 1
done
echo "$up" | grep -q '"value":\[[0-9.]*,"1"\]' || fail "Prometheus does not scrape the gateway: $up"
echo "compose smoke: Prometheus scrapes the gateway (up{job=\"wsgate\"} = 1)"
echo "compose smoke: OK"
