#!/usr/bin/env bash
# `docker-compose up` of docker-compose.yml with every service whose image can be had here: the gateway, echo-1 and
# echo-2 (the image deploy/smoke/docker-image.sh built as wsgate:local, or built now) and Prometheus (the image the
# compose file names, pulled or a stand-in from Debian's prometheus package). Grafana's image is in no registry
# reachable here: its provisioning files and the dashboard's queries are checked by ComposeFileTests and
# PrometheusDashboardIntegrationTests instead. CI runs it after deploy/smoke/docker-image.sh.
#   deploy/smoke/docker-compose-up.sh
# The engine runs without a bridge (deploy/smoke/docker-engine.sh), so the services share the host's network through
# the test-only override deploy/smoke/compose.host-network.yml: each on its own loopback address (echo-1 127.0.0.2,
# echo-2 127.0.0.3, gateway 127.0.0.4, Prometheus 127.0.0.5) with the compose file's ports, and the service names
# resolving to them, so the routes file and the scrape config run as committed. Checks: sessions relayed through
# the gateway reach both echo backends (uppercased replies), Prometheus scrapes the gateway, and the relayed
# sessions and messages appear in its query API; the alerting rules beside the scrape config are loaded.
set -euo pipefail
cd "$(dirname "$0")/../.."

export WSGATE_SMOKE_DIR="${WSGATE_SMOKE_DIR:-target/docker-smoke}"
mkdir -p "$WSGATE_SMOKE_DIR"
logs="$WSGATE_SMOKE_DIR"
image=wsgate:local
services=(gateway echo-1 echo-2 prometheus)
work="$(mktemp -d)"
probe=""
up=false

# shellcheck source=deploy/smoke/docker-engine.sh
. deploy/smoke/docker-engine.sh
# shellcheck source=deploy/smoke/lib.sh
. deploy/smoke/lib.sh

# docker-compose.yml as committed but for its published ports, which Docker refuses on the host network (Debian's
# python3-yaml, a dependency of docker-compose, reads and writes it; anchors and merge keys come out expanded).
/usr/bin/python3 - docker-compose.yml "$work/docker-compose.yml" <<'EOF'
import sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
for service in compose["services"].values():
    service.pop("ports", None)
yaml.safe_dump(compose, open(sys.argv[2], "w"), sort_keys=False)
EOF
compose() {
  docker-compose -p wsgate-smoke --project-directory . -f "$work/docker-compose.yml" \
    -f deploy/smoke/compose.host-network.yml "$@"
}

fail() {
  echo "compose up smoke: FAILED: $*" >&2
  if $up; then compose logs --no-color --tail 40 "${services[@]}" >&2 2>&1 || true; fi
  exit 1
}
say() { echo "compose up smoke: $*"; }

cleanup() {
  [ -n "$probe" ] && kill "$probe" 2>/dev/null
  if $up; then
    compose logs --no-color "${services[@]}" >"$logs/compose.log" 2>&1 || true
    compose down --timeout 30 >/dev/null 2>&1 || true
  fi
  engine_stop
  rm -rf "$work"
}
trap cleanup EXIT

for tool in java curl docker-compose; do command -v "$tool" >/dev/null || fail "$tool not found (apt-get install docker-compose)"; done

# A PromQL query's first value ("" when the result is empty).
query() {
  curl -fsS "http://127.0.0.5:9090/api/v1/query" --data-urlencode "query=$1" 2>/dev/null \
    | sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}

engine_start
say "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')"
if ! docker image inspect "$image" >/dev/null 2>&1; then
  for base in $(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile); do base_image "$base"; done
  docker build --network host -t "$image" . >"$logs/build.log" 2>&1 || fail "docker build failed (log: $logs/build.log)"
fi
prometheus_image=$(sed -n 's#^ *image: \(prom/prometheus:.*\)$#\1#p' docker-compose.yml)
[ -n "$prometheus_image" ] || fail "no prom/prometheus image in docker-compose.yml"
base_image "$prometheus_image"

# The addresses the override gives the services must be free (something on the wildcard address would answer).
for address in 127.0.0.2:8088 127.0.0.2:8089 127.0.0.3:8088 127.0.0.3:8089 127.0.0.4:8080 127.0.0.4:8081 127.0.0.5:9090; do
  (exec 3<>"/dev/tcp/${address%:*}/${address#*:}") 2>/dev/null && fail "$address is in use: the compose services need it"
done

up=true
compose up -d --no-build "${services[@]}" >"$logs/compose-up.log" 2>&1 || { cat "$logs/compose-up.log" >&2; fail "docker-compose up failed"; }
say "docker-compose up -d ${services[*]} (with deploy/smoke/compose.host-network.yml); not grafana: no image here"
await_http http://127.0.0.2:8089/actuator/health
await_http http://127.0.0.3:8089/actuator/health
await_http http://127.0.0.4:8081/readyz
await_http http://127.0.0.5:9090/-/ready
say "echo-1, echo-2, gateway and prometheus answer"

# Four sessions through the gateway's lb:ws route; round robin puts two on each echo backend.
hold_sessions "ws://127.0.0.4:8080/ws/" 4
say "4 sessions relayed through the gateway: hello n -> HELLO n"
for i in 2 3; do
  count=$(established_to 8088 "127.0.0.$i")
  [ "$count" -ge 1 ] || fail "echo-$((i - 1)) holds no session"
  say "echo-$((i - 1)) holds $count of the 4 sessions"
done
release_sessions

# Prometheus scrapes the gateway, and what was relayed shows in its query API.
value=""
for _ in $(seq 1 60); do
  value=$(query 'up{job="wsgate"}')
  [ "$value" = 1 ] && break
  sleep 1
done
[ "$value" = 1 ] || fail "Prometheus does not scrape the gateway (up{job=\"wsgate\"} = '$value')"
say "Prometheus scrapes the gateway: up{job=\"wsgate\"} = 1"
opened="" messages=""
for _ in $(seq 1 60); do
  opened=$(query 'sum(wsgate_sessions_opened_total)')
  messages=$(query 'sum(wsgate_messages_total{direction="client-to-backend",type="text"})')
  [ "${opened:-0}" -ge 4 ] 2>/dev/null && [ "${messages:-0}" -ge 4 ] 2>/dev/null && break
  sleep 1
done
[ "${opened:-0}" -ge 4 ] 2>/dev/null || fail "Prometheus shows sum(wsgate_sessions_opened_total) = '$opened', not 4"
[ "${messages:-0}" -ge 4 ] 2>/dev/null || fail "Prometheus shows '$messages' client-to-backend text messages, not 4"
say "Prometheus's query API: sum(wsgate_sessions_opened_total) = $opened, client-to-backend text messages = $messages"

groups=$(curl -fsS http://127.0.0.5:9090/api/v1/rules | { grep -o '"file":' || true; } | wc -l)
if [ -f deploy/prometheus/alerts.yml ]; then
  [ "$groups" -ge 1 ] || fail "Prometheus loaded no rule group from deploy/prometheus/alerts.yml"
  say "Prometheus loaded $groups rule group(s) from deploy/prometheus/alerts.yml"
else
  say "no deploy/prometheus/alerts.yml: Prometheus runs without alerting rules"
fi
say "OK"
