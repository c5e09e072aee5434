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

    public Echo getEcho() {
        return this.echo;
    }

    public Proxy getProxy() {
        return this.proxy;
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

        public Duration getHandshakeTimeout() {
            return this.handshakeTimeout;
        }

        public void setHandshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = handshakeTimeout;
        }
    }
}
