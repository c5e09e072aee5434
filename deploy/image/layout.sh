#!/usr/bin/env bash
# Lays out the container image's /app without Docker, from the Dockerfile's own lines, so that what runs here is
# what the image runs: the layer-extraction RUN command verbatim on target/wsgate-*.jar, the layers its COPY
# lines name, then the AOT-cache training RUN command (run in the layout with the image's JDK and
# JAVA_TOOL_OPTIONS). Used by deploy/smoke/compose-without-docker.sh and bench/run.sh --image.
#   deploy/image/layout.sh DEST
# Writes DEST/app (the image's /app) and DEST/java-home (the JDK it used), DEST/java-tool-options (the image's
# JAVA_TOOL_OPTIONS) and DEST/entrypoint (the image's ENTRYPOINT, one word per line).
# The image's JDK: WSGATE_IMAGE_JAVA_HOME, else the Temurin JDK of the Dockerfile's run stage major version
# under /usr/lib/jvm (this machine kind has one beside the default Java 17).
set -euo pipefail
cd "$(dirname "$0")/../.."

dest="${1:?usage: deploy/image/layout.sh DEST}"
fail() {
  echo "image layout: FAILED: $*" >&2
  exit 1
}

jar="$(ls target/wsgate-*.jar 2>/dev/null | grep -v '\.original$' | head -n 1 || true)"
[ -n "$jar" ] || fail "no target/wsgate-*.jar (./mvnw -B -DskipTests package)"

# The run stage's JDK: the major version of its eclipse-temurin base image.
major=$(sed -n 's/^FROM eclipse-temurin:\([0-9]*\)-jre$/\1/p' Dockerfile)
[ -n "$major" ] || fail "no 'FROM eclipse-temurin:<version>-jre' run stage in the Dockerfile"
java_home="${WSGATE_IMAGE_JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-"$major"-* 2>/dev/null | head -n 1 || true)}"
[ -x "$java_home/bin/java" ] || fail "no JDK $major for the image's runtime: set WSGATE_IMAGE_JAVA_HOME"
"$java_home/bin/java" -version 2>&1 | grep -q "version \"$major" || fail "$java_home is not a JDK $major"

# The layers, extracted by the Dockerfile's own command and copied as its COPY lines say.
extract=$(sed -n '/^RUN mkdir -p target\/image/,/[^\\]$/p' Dockerfile | sed -e 's/^RUN //' -e 's/\\$//' | tr '\n' ' ')
[ -n "$extract" ] || fail "no layer-extraction RUN line in the Dockerfile"
rm -rf target/image "$dest"
PATH="$java_home/bin:$PATH" sh -c "$extract" || fail "the Dockerfile's extraction failed: $extract"
mkdir -p "$dest/app"
for layer in $(sed -n 's#^COPY --from=build /build/\(target/image/extracted/[a-z-]*/\) \./$#\1#p' Dockerfile); do
  cp -r "$layer." "$dest/app/"
done
[ -f "$dest/app/application.jar" ] || fail "the Dockerfile's COPY lines give no /app/application.jar"

tool_options=$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\(.*\)"$/\1/p' Dockerfile)
entrypoint=$(sed -n 's/^ENTRYPOINT \[\(.*\)\]$/\1/p' Dockerfile | tr -d '",')
[ "${entrypoint%% *}" = "java" ] || fail "unexpected ENTRYPOINT: $entrypoint"
[ "${entrypoint##* }" = "application.jar" ] || fail "the ENTRYPOINT does not run application.jar: $entrypoint"

# The AOT cache: the Dockerfile's training RUN line, in /app, with the image's flags. The JVM uses the cache only
# with the same JDK, class path and -XX flags (the smoke starts the gateway with -XX:AOTMode=on, which fails
# the start when the cache does not fit).
train=$(sed -n 's/^RUN \(java .*-XX:AOTCacheOutput=.*\)$/\1/p' Dockerfile)
[ -n "$train" ] || fail "no AOT-cache training RUN line (java ... -XX:AOTCacheOutput=...) in the Dockerfile"
vm_flags() { tr ' ' '\n' | grep '^-XX:' | grep -v '^-XX:AOTCache' | sort | tr '\n' ' '; }
[ "$(echo "$train" | vm_flags)" = "$(echo "$entrypoint" | vm_flags)" ] \
  || fail "the training run's -XX flags ($(echo "$train" | vm_flags)) differ from the ENTRYPOINT's ($(echo "$entrypoint" | vm_flags))"
(cd "$dest/app" && JAVA_TOOL_OPTIONS="$tool_options" PATH="$java_home/bin:$PATH" sh -c "$train") \
  >"$dest/training.log" 2>&1 || { tail -n 30 "$dest/training.log" >&2; fail "the training run failed: $train"; }
cache=$(echo "$entrypoint" | sed -n 's/.*-XX:AOTCache=\([^ ]*\).*/\1/p')
[ -n "$cache" ] && [ -s "$dest/app/$cache" ] || fail "the ENTRYPOINT's AOT cache ($cache) was not written by the training run"

echo "$java_home" >"$dest/java-home"
echo "$tool_options" >"$dest/java-tool-options"
echo "$entrypoint" | tr ' ' '\n' >"$dest/entrypoint"
echo "image layout: $dest/app from the Dockerfile ($(ls "$dest/app" | tr '\n' ' ')), JDK $java_home"
