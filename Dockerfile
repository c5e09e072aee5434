# wsgate container image: build with the Maven wrapper, run the layered jar on a slim JRE.
#   docker build -t wsgate .
#   docker run -p 8080:8080 -p 8081:8081 -v "$PWD/my-routes:/app/config:ro" --read-only --tmpfs /tmp wsgate
# DockerImageLayoutIT runs this file's build commands and starts the result the way this image does.

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

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 wsgate \
    && useradd --system --uid 10001 --gid wsgate --no-create-home --shell /usr/sbin/nologin wsgate
# Working directory /app: Spring Boot reads /app/config/application.yml (the mounted routes) by default.
WORKDIR /app
COPY --from=build /build/target/image/extracted/dependencies/ ./
COPY --from=build /build/target/image/extracted/spring-boot-loader/ ./
COPY --from=build /build/target/image/extracted/snapshot-dependencies/ ./
COPY --from=build /build/target/image/extracted/application/ ./
# Container-aware heap (a share of the memory limit, not of the host), fail fast on OOM, and a temp
# directory that stays writable when the root filesystem is read-only (mount a tmpfs or emptyDir there).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:InitialRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
USER 10001:10001
# 8080 traffic, 8081 management (health, probes /livez and /readyz, Prometheus); 8088 in echo mode.
EXPOSE 8080 8081 8088
ENTRYPOINT ["java", "-jar", "application.jar"]
