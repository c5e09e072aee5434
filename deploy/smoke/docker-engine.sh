# Sourced by deploy/smoke/docker-image.sh and deploy/smoke/docker-compose-up.sh: a Docker engine kept on loopback and
# the base images the Dockerfile and docker-compose.yml name, made from Debian's packages when no registry has them.
#   engine_start                 start dockerd (--bridge=none --iptables=false) unless one answers; stopped on exit
#   base_image NAME              NAME as is, pulled, or a stand-in built under that name (see stand_in)
#   engine_stop                  stop the dockerd that engine_start started (the callers' exit trap runs it)
# Callers define fail MESSAGE. Every build and container of the smokes uses --network host (or network_mode: host),
# so no traffic leaves the loopback interface and the daemon needs no bridge and no iptables rules.

# Debian's docker.io client, the same version as its daemon, ahead of any other docker on the PATH.
docker() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else command docker "$@"; fi
}

engine_pid=""
engine_log="${WSGATE_SMOKE_DIR:-target/docker-smoke}/dockerd.log"

engine_start() {
  if docker info >/dev/null 2>&1; then
    echo "docker engine: a daemon answers already ($(docker version -f '{{.Server.Version}}'))"
    return
  fi
  command -v dockerd >/dev/null || fail "no dockerd (apt-get install docker.io)"
  mkdir -p "$(dirname "$engine_log")"
  dockerd --bridge=none --iptables=false >"$engine_log" 2>&1 &
  engine_pid=$!
  local started=$SECONDS
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$engine_pid" 2>/dev/null || { tail -n 20 "$engine_log" >&2; fail "dockerd exited (log: $engine_log)"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -n 20 "$engine_log" >&2; fail "dockerd did not answer within 60 s"; }
  echo "docker engine: started dockerd $(docker version -f '{{.Server.Version}}') in $((SECONDS - started)) s" \
    "(--bridge=none --iptables=false, log $engine_log)"
}

engine_stop() {
  [ -n "$engine_pid" ] || return 0
  kill "$engine_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$engine_pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$engine_pid" 2>/dev/null && kill -9 "$engine_pid" 2>/dev/null
  wait "$engine_pid" 2>/dev/null || true
  engine_pid=""
}

# The image NAME, as the Dockerfile or compose file names it: found locally, else pulled (30 s at most), else a
# stand-in built under the same name (kept: the next run finds it locally).
base_image() {
  local name="$1"
  if docker image inspect "$name" >/dev/null 2>&1; then
    local what
    what=$(docker image inspect -f '{{if .Config.Labels}}{{index .Config.Labels "wsgate.smoke.stand-in"}}{{end}}' "$name")
    echo "base image $name: present${what:+ (stand-in: $what)}"
    return
  fi
  if timeout 30 docker pull -q "$name" >/dev/null 2>&1; then
    echo "base image $name: pulled"
    return
  fi
  echo "base image $name: no registry has it here; building a stand-in from Debian's packages"
  stand_in "$name"
}

# A Debian bookworm root filesystem (debootstrap, from the mirror the host's apt uses), imported as a local image,
# with the host's local CA certificates (so a TLS-inspecting proxy that the host trusts is trusted inside, where
# the build stage downloads Maven and the dependencies) and a policy-rc.d that keeps packages from starting
# services in a build.
debian_base=wsgate-smoke/debian:bookworm
debian_image() {
  docker image inspect "$debian_base" >/dev/null 2>&1 && return
  command -v debootstrap >/dev/null || fail "no debootstrap (apt-get install debootstrap)"
  local mirror rootfs started=$SECONDS
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '$2 ~ /\/debian\/?$/ {print $2; exit}')
  [ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    | awk '$2 ~ /\/debian\/?$/ {print $2; exit}')
  [ -n "$mirror" ] || fail "no Debian mirror in /etc/apt/sources.list*"
  rootfs="$(mktemp -d)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" \
    >"$(dirname "$engine_log")/debootstrap.log" 2>&1 || fail "debootstrap from $mirror failed (see debootstrap.log)"
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  fi
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$debian_base" >/dev/null || fail "docker import failed"
  rm -rf "$rootfs"
  echo "base image $debian_base: debootstrap bookworm from $mirror, imported in $((SECONDS - started)) s"
}

# Builds a stand-in for NAME from the Debian base:
#   eclipse-temurin:N-jdk   Debian's openjdk-N-jdk-headless (plus curl and wget, as Temurin's images have)
#   eclipse-temurin:N-jre   the Temurin JDK N of this machine (/usr/lib/jvm/temurin-N-*, or WSGATE_IMAGE_JAVA_HOME)
#   prom/prometheus:TAG     Debian's prometheus package, with the official image's entrypoint, command and user
# The Java ones at /opt/java/openjdk with JAVA_HOME and PATH as Temurin's images set them.
stand_in() {
  local name="$1" context started=$SECONDS
  debian_image
  context="$(mktemp -d)"
  local java_env='ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  local label="LABEL wsgate.smoke.stand-in=\"$name from Debian bookworm packages\""
  case "$name" in
    eclipse-temurin:*-jdk)
      local major="${name#eclipse-temurin:}"; major="${major%-jdk}"
      cat >"$context/Dockerfile" <<EOF
FROM $debian_base
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      openjdk-$major-jdk-headless curl wget \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /opt/java && ln -s /usr/lib/jvm/java-$major-openjdk-amd64 /opt/java/openjdk
$java_env
$label
EOF
      ;;
    eclipse-temurin:*-jre)
      local major="${name#eclipse-temurin:}"; major="${major%-jre}"
      local jdk="${WSGATE_IMAGE_JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-"$major"-* 2>/dev/null | head -n 1 || true)}"
      [ -x "$jdk/bin/java" ] || fail "no Temurin JDK $major on this machine for $name (set WSGATE_IMAGE_JAVA_HOME)"
      cp -a "$jdk" "$context/openjdk"
      cat >"$context/Dockerfile" <<EOF
FROM $debian_base
COPY openjdk /opt/java/openjdk
$java_env
$label
EOF
      ;;
    prom/prometheus:*)
      cat >"$context/Dockerfile" <<EOF
FROM $debian_base
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \\
    && rm -rf /var/lib/apt/lists/* && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
$label
EOF
      ;;
    *) fail "$name cannot be pulled and no stand-in is known for it" ;;
  esac
  docker build --network host -t "$name" "$context" >"$(dirname "$engine_log")/stand-in.log" 2>&1 \
    || { tail -n 20 "$(dirname "$engine_log")/stand-in.log" >&2; fail "building the stand-in $name failed"; }
  rm -rf "$context"
  echo "base image $name: stand-in built in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$name" \
    | awk '{printf "%.0f MB", $1 / 1e6}'))"
}
