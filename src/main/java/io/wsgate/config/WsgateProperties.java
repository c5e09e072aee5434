package io.wsgate.config;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/** The one configuration tree of wsgate: everything under {@code wsgate.*}. */
@ConfigurationProperties("wsgate")
@Validated
public class WsgateProperties {

    private final Echo echo = new Echo();

    private final Proxy proxy = new Proxy();

    private final Health health = new Health();

    private final Reload reload = new Reload();

    public Echo getEcho() {
        return this.echo;
    }

    public Health getHealth() {
        return this.health;
    }

    public Proxy getProxy() {
        return this.proxy;
    }

    public Reload getReload() {
        return this.reload;
    }

    /** The bundled echo backend: uppercases text messages, returns binary messages unchanged. */
    public static class Echo {

        /** Whether the bundled echo backend is served. */
        private boolean enabled = true;

        /** Path pattern the echo backend answers on; "/**" in echo-only mode. */
        @NotBlank
        private String path = "/echo/**";

        /** Largest message (a frame, or a fragmented message once aggregated) the echo accepts. */
        @NotNull
        private DataSize maxMessageSize = DataSize.ofMegabytes(1);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getPath() {
            return this.path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public DataSize getMaxMessageSize() {
            return this.maxMessageSize;
        }

        public void setMaxMessageSize(DataSize maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
        }
    }

    /** The WebSocket relay between clients and route backends. */
    public static class Proxy {

        /**
         * Longest wait for a backend to answer the WebSocket handshake, connect included. On expiry the
         * client gets 504 and is never upgraded.
         */
        @NotNull
        private Duration handshakeTimeout = Duration.ofSeconds(10);

        /**
         * How much of each payload the frame log shows (routes with {@code frame-log: true} metadata); the rest
         * is cut and marked with "...".
         */
        @NotNull
        private DataSize frameLogMaxPayload = DataSize.ofBytes(128);

        /**
         * Whether routes offer and accept permessage-deflate (RFC 7692) by default, on each leg independently: the
         * gateway accepts it from clients that offer it and offers it to backends. A route's {@code compression}
         * metadata overrides this.
         */
        private boolean compression = false;

        public Duration getHandshakeTimeout() {
            return this.handshakeTimeout;
        }

        public void setHandshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = handshakeTimeout;
        }

        public DataSize getFrameLogMaxPayload() {
            return this.frameLogMaxPayload;
        }

        public void setFrameLogMaxPayload(DataSize frameLogMaxPayload) {
            this.frameLogMaxPayload = frameLogMaxPayload;
        }

        public boolean isCompression() {
            return this.compression;
        }

        public void setCompression(boolean compression) {
            this.compression = compression;
        }
    }

    /** Route health: periodic WebSocket handshake probes of each route's backends. */
    public static class Health {

        /** Whether route backends are probed and reported at /actuator/health/routes. */
        private boolean enabled = true;

        /** Time between two probe rounds; health requests read the latest round. */
        @NotNull
        private Duration interval = Duration.ofSeconds(10);

        /** Longest wait for one backend's handshake answer, connect included; then it is DOWN. */
        @NotNull
        private Duration timeout = Duration.ofSeconds(3);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getInterval() {
            return this.interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /**
     * Hot route reload: the routes of an external {@code application.yml} (a mounted ConfigMap, say) replace the
     * running routes when the file changes, without a restart.
     */
    public static class Reload {

        /** Whether the route file is watched and its routes applied when it changes. */
        private boolean enabled = true;

        /**
         * The watched file, relative to the working directory unless absolute; Spring Boot's own
         * {@code ./config/application.yml} by default. Its directory may be a Kubernetes ConfigMap volume
         * (symlinked {@code ..data}): the file is read through the links on every check.
         */
        @NotBlank
        private String path = "config/application.yml";

        /** Time between two checks of the file. */
        @NotNull
        private Duration interval = Duration.ofSeconds(1);

        /**
         * How long the file must stay unchanged before it is read as a whole, so a file being written is not
         * applied half-way.
         */
        @NotNull
        private Duration quietPeriod = Duration.ofMillis(500);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getPath() {
            return this.path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public Duration getInterval() {
            return this.interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Duration getQuietPeriod() {
            return this.quietPeriod;
        }

        public void setQuietPeriod(Duration quietPeriod) {
            this.quietPeriod = quietPeriod;
        }
    }
}
