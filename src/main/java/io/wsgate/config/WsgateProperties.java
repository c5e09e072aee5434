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

    private final Handshake handshake = new Handshake();

    public Echo getEcho() {
        return this.echo;
    }

    public Health getHealth() {
        return this.health;
    }

    public Proxy getProxy() {
        return this.proxy;
    }

    public Handshake getHandshake() {
        return this.handshake;
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

    /** The traffic port's guard before any route runs. */
    public static class Handshake {

        /**
         * Longest time a connection may take to send a complete request head from connect, then 408 and the
         * connection is closed (against slowloris); also how long a keep-alive connection may stay idle between
         * a response and the next request head.
         */
        @NotNull
        private Duration headerTimeout = Duration.ofSeconds(10);

        public Duration getHeaderTimeout() {
            return this.headerTimeout;
        }

        public void setHeaderTimeout(Duration headerTimeout) {
            this.headerTimeout = headerTimeout;
        }
    }
}
