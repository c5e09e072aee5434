# Sourced by the smokes in deploy/smoke/: what they share. Callers define fail MESSAGE and work (a temp directory).
#   free_port                   a loopback port nobody listens on (checked just before use)
#   await_http URL [CONTAINER]  polls URL until it answers 2xx, 120 s at most (fails early when CONTAINER exits)
#   established_to PORT [IP]    connections established to a local PORT (on IP), from the kernel's tables
#   hold_sessions URL N         N WebSocket sessions (deploy/smoke/WsProbe.java) answering hello n with HELLO n,
#                               held open until release_sessions

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

await_http() {
  local url="$1" container="${2:-}"
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    if [ -n "$container" ] && [ "$(docker inspect -f '{{.State.Running}}' "$container")" != true ]; then
      fail "$container exited with $(docker inspect -f '{{.State.ExitCode}}' "$container")"
    fi
    sleep 0.5
  done
  fail "no answer from $url within 120 s"
}

# Column 2 of /proc/net/tcp{,6} is the local address:port in hex, column 4 the state (01 = ESTABLISHED); the JVM's
# IPv6 sockets hold IPv4 addresses as ::ffff:a.b.c.d, whose hex ends as the IPv4 one does.
established_to() {
  local port="$1" ip="${2:-}" local_end
  local_end=$(printf ':%04X' "$port")
  [ -z "$ip" ] || local_end=$(printf '%02X%02X%02X%02X' $(echo "$ip" | awk -F. '{print $4, $3, $2, $1}'))$local_end
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null \
    | awk -v end="$local_end" 'substr($2, length($2) - length(end) + 1) == end && $4 == "01"' | wc -l
}

hold_sessions() {
  local url="$1" count="$2"
  mkfifo "$work/probe-in"
  java deploy/smoke/WsProbe.java "$url" "$count" <"$work/probe-in" >"$work/probe.out" 2>&1 &
  probe=$!
  exec 4>"$work/probe-in"
  for _ in $(seq 1 120); do
    grep -q '^open$' "$work/probe.out" && break
    kill -0 "$probe" 2>/dev/null || break
    sleep 0.5
  done
  grep -q '^open$' "$work/probe.out" || fail "sessions not relayed: $(cat "$work/probe.out")"
  for n in $(seq 1 "$count"); do
    grep -qx "hello $n -> HELLO $n" "$work/probe.out" || fail "session $n: $(cat "$work/probe.out")"
  done
}

release_sessions() {
  echo >&4
  exec 4>&-
  wait "$probe" || true
  probe=""
}
