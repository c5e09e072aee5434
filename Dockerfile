# wsgate container image: build with the Maven wrapper, run the layered jar on a slim JRE.
#   docker build -t wsgate .
#   docker run -p 8080:8080 -p 127.0.0.1:8081:8081 -v "$PWD/my-routes:/app/config:ro" --read-only --tmpfs /tmp wsgate
# deploy/smoke/docker-image.sh builds and runs it for real (CI). deploy/image/layout.sh runs its extraction, COPY and
# AOT-training lines without Docker; deploy/smoke/compose-without-docker.sh starts the result the way this image does.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
# Dependencies in their own layer: rebuilt only when the pom or the wrapper change.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
# The same wrapper and lifecycle as CI's `./mvnw -B verify`, without the tests CI already ran.
RUN ./mvnw -B -DskipTests package
# Spring Boot's layers (dependencies change rarely, application often) for layer caching.
RUN mkdir -p target/image && cp target/wsgate-*.jar target/image/application.jar \
    && java -Djarmode=tools -jar target/image/application.jar extract --layers --destination target/image/extracted
# Netty's epoll library as a file: Netty otherwise copies it to /tmp at every start and loads it from there, which
# fails on a noexec /tmp (Docker's --tmpfs, compose's tmpfs) and leaves the gateway on the slower NIO transport.
RUN mkdir target/native && cd target/native \
    && for jar in ../image/extracted/dependencies/lib/netty-transport-native-epoll-*-linux-*.jar; do jar xf "$jar" META-INF/native; done \
    && mv META-INF/native/*.so . && rm -r META-INF

# The run stage's JDK 25 runs the Java 17 bytecode; it brings the AOT cache and compact object headers below.
FROM eclipse-temurin:25-jre
RUN groupadd --system --gid 10001 wsgate \
    && useradd --system --uid 10001 --gid wsgate --no-create-home --shell /usr/sbin/nologin wsgate
# Working directory /app: Spring Boot reads /app/config/application.yml (the mounted routes) by default.
WORKDIR /app
COPY --from=build /build/target/image/extracted/dependencies/ ./
COPY --from=build /build/target/image/extracted/spring-boot-loader/ ./
COPY --from=build /build/target/image/extracted/snapshot-dependencies/ ./
COPY --from=build /build/target/image/extracted/application/ ./
# The JDK's default java.library.path, where Netty looks first.
COPY --from=build /build/target/native/ /usr/java/packages/lib/
# Container-aware heap (a share of the memory limit, not of the host), fail fast on OOM, and a temp
# directory that stays writable when the root filesystem is read-only (mount a tmpfs or emptyDir there). No initial
# heap percentage: on a host without a memory limit InitialRAMPercentage=50 started a 12 GB heap whose young
# generation spread every handshake's allocations over fresh memory, 0.75 instead of 0.62 CPU ms per handshake; with
# a 512 MiB limit it changed nothing measurable but the RSS (docs/benchmark.md).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
# Start-up: the JDK's AOT cache (JEP 483, 514, 515). The training run (io.wsgate.AotTraining) starts the gateway,
# drives 3,000 handshakes and 10,000 messages through /ws/ to the bundled echo, reads the probes and the Prometheus
# page, and stops; the JDK writes the classes it loaded and linked and the method profiles of the code that ran to
# wsgate.aot, which the ENTRYPOINT loads: a fresh container starts sooner and compiles its handshake and relay paths
# from its first connections (docs/benchmark.md). The JVM uses the cache only with this JDK, class path and the same
# -XX flags as here, so keep this line's flags and the ENTRYPOINT's in step (deploy/image/layout.sh checks it).
RUN java --sun-misc-unsafe-memory-access=allow -XX:+UseCompactObjectHeaders -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:AOTCacheOutput=wsgate.aot -cp application.jar io.wsgate.AotTraining
USER 10001:10001
# 8080 traffic, 8081 management (health, probes /livez and /readyz, Prometheus); 8088 in echo mode.
EXPOSE 8080 8081 8088
# Compact object headers (JEP 519): 8-byte object headers, about 10% less heap per session. Heap free ratios 10-20%:
# after a collection the heap gives back what it does not need, so an idle gateway's RSS follows its sessions
# (G1 keeps up to 70% free by default); the heap still grows under load. sun.misc.Unsafe memory access allowed:
# Netty turns Unsafe off by default on JDK 25, and its buffers then go through checked VarHandles (half the CPU
# of a 16 KiB relay in the profile). All measured in docs/benchmark.md.
ENTRYPOINT ["java", "--sun-misc-unsafe-memory-access=allow", "-XX:+UseCompactObjectHeaders", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:AOTCache=wsgate.aot", "-jar", "application.jar"]
