package io.wsgate.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;
import reactor.netty.http.server.ProxyProtocolSupportType;

/** The one configuration tree of wsgate: everything under {@code wsgate.*}. */
@ConfigurationProperties("wsgate")
@Validated
public class WsgateProperties implements Validator {

    private final Echo echo = new Echo();

    private final Proxy proxy = new Proxy();

    private final Health health = new Health();

    private final Limits limits = new Limits();

    private final Origins origins = new Origins();

    private final Forwarded forwarded = new Forwarded();

    private final Session session = new Session();

    private final Shutdown shutdown = new Shutdown();

    private final Reload reload = new Reload();

    private final Handshake handshake = new Handshake();

    private final Admin admin = new Admin();

    private final Auth auth = new Auth();

    private final Cluster cluster = new Cluster();

    public Echo getEcho() {
        return this.echo;
    }

    public Health getHealth() {
        return this.health;
    }

    public Proxy getProxy() {
        return this.proxy;
    }

    public Limits getLimits() {
        return this.limits;
    }

    public Origins getOrigins() {
        return this.origins;
    }

    public Forwarded getForwarded() {
        return this.forwarded;
    }

    public Session getSession() {
        return this.session;
    }

    public Shutdown getShutdown() {
        return this.shutdown;
    }

    public Reload getReload() {
        return this.reload;
    }

    public Handshake getHandshake() {
        return this.handshake;
    }

    public Auth getAuth() {
        return this.auth;
    }

    public Admin getAdmin() {
        return this.admin;
    }

    public Cluster getCluster() {
        return this.cluster;
    }

    @Override
    public boolean supports(Class<?> type) {
        return WsgateProperties.class.isAssignableFrom(type);
    }

    /** The rules across properties; Boot reports each as one "Reason:" line and stops startup. */
    @Override
    public void validate(Object target, Errors errors) {
        WsgateProperties properties = (WsgateProperties) target;
        int ipv6Prefix = properties.getLimits().getIpv6Prefix();
        if (ipv6Prefix < 1 || ipv6Prefix > 128) {
            errors.rejectValue(
                    "limits.ipv6Prefix",
                    "range",
                    "wsgate.limits.ipv6-prefix is " + ipv6Prefix + ": it is a prefix length from 1 to 128");
        }
        Forwarded forwarded = properties.getForwarded();
        boolean proxyProtocol = forwarded.getProxyProtocol() != ProxyProtocolSupportType.OFF;
        if (!forwarded.getTrustedProxies().isEmpty() && forwarded.getHeader() == null && !proxyProtocol) {
            errors.rejectValue(
                    "forwarded.header",
                    "required",
                    "wsgate.forwarded.trusted-proxies is set but wsgate.forwarded.header is not: name the one header"
                            + " your proxies write, x-forwarded-for or forwarded");
        }
        if (proxyProtocol && forwarded.getTrustedProxies().isEmpty()) {
            errors.rejectValue(
                    "forwarded.trustedProxies",
                    "required",
                    "wsgate.forwarded.proxy-protocol is "
                            + forwarded.getProxyProtocol().name().toLowerCase(Locale.ROOT)
                            + " but wsgate.forwarded.trusted-proxies is empty: list the load balancers that may send"
                            + " a PROXY header");
        }
        Cluster cluster = properties.getCluster();
        if (cluster.getHeartbeatTtl() != null && cluster.getHeartbeatTtl().toMillis() < 300) {
            errors.rejectValue(
                    "cluster.heartbeatTtl",
                    "range",
                    "wsgate.cluster.heartbeat-ttl is " + cluster.getHeartbeatTtl()
                            + ": it must be at least 300ms (the heartbeat runs every third of it)");
        }
        if (cluster.getTimeout() != null
                && (cluster.getTimeout().isNegative() || cluster.getTimeout().isZero())) {
            errors.rejectValue(
                    "cluster.timeout",
                    "range",
                    "wsgate.cluster.timeout is " + cluster.getTimeout() + ": it must be more than 0");
        }
    }

    /** The bundled echo backend: uppercases text messages, returns binary messages unchanged. */
    public static class Echo {

        /** Whether the bundled echo backend is served, and the page to try it at GET / (unless a route takes /). */
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
     * Admission limits for WebSocket upgrades; a route's metadata ({@code max-sessions},
     * {@code handshake-rate-per-client}) overrides the per-route defaults here.
     */
    public static class Limits {

        /** Most sessions open at once across all routes, handshakes in progress included; 0 for no limit. */
        @PositiveOrZero
        private int maxSessions;

        /** Most sessions open at once on one route, unless its max-sessions metadata says otherwise; 0 for no limit. */
        @PositiveOrZero
        private int maxSessionsPerRoute;

        /**
         * Most sessions one client (its address, or a token claim: client-key) may hold open at once on one route,
         * unless the route's max-sessions-per-client metadata says otherwise; 0 for no limit. IPv6 clients count per
         * network of {@code ipv6-prefix}, as for the handshake rate.
         */
        @PositiveOrZero
        private int maxSessionsPerClient;

        /**
         * Handshakes one client (its address, or a token claim: client-key) may make on one route, as "tokens/period" (e.g. "20/s", "100/1m"):
         * a bucket of that many tokens refilled at that rate. Unless a route's handshake-rate-per-client
         * metadata says otherwise; empty for no limit.
         */
        private String handshakeRatePerClient = "";

        /**
         * What one client is for max-sessions-per-client and handshake-rate-per-client, unless a route's client-key
         * metadata says otherwise: "address" (the client address; an IPv6 one by its ipv6-prefix network), or
         * "claim:NAME" (e.g. "claim:sub"): the value of that claim in the token verified at the handshake, on routes
         * with auth: jwt. A handshake without a verified token, or whose token lacks the claim, counts by its
         * address.
         */
        @NotNull
        private String clientKey = "address";

        /** Retry-After sent with 503 when a session limit is reached. */
        @NotNull
        private Duration retryAfter = Duration.ofSeconds(5);

        /**
         * Most client addresses whose handshake rate is tracked at once; the least recently seen are forgotten
         * first (a forgotten client starts again with a full bucket).
         */
        @Positive
        private int maxTrackedClients = 100_000;

        /**
         * IPv6 clients share one handshake-rate bucket per network of this prefix length (64: a /64, what one
         * subscriber usually gets); 128 gives every address its own. IPv4 clients are counted per address.
         */
        @Min(1)
        @Max(128)
        private int ipv6Prefix = 64;

        /**
         * Most frames one message may come in, from a client or a backend; one more fails the sender with Close
         * 1008. Every fragment is a frame object and a component of the aggregated message, which Netty recopies
         * each 1024 components, so 1-byte fragments cost far more than their bytes. 1024 carries a 1 MiB message
         * in 1 KiB fragments; clients that fragment at all use a handful. 0 for no limit.
         */
        @PositiveOrZero
        private int maxFragmentsPerMessage = 1024;

        /**
         * Most pings and pongs one client or backend may send per second (a fixed one-second window); one more
         * fails it with Close 1008. Each ping costs the gateway a pong write (or a relayed ping); keepalives need one
         * every few seconds, so 100 is far above any honest use. 0 for no limit.
         */
        @PositiveOrZero
        private int maxControlFramesPerSecond = 100;

        public int getMaxSessions() {
            return this.maxSessions;
        }

        public void setMaxSessions(int maxSessions) {
            this.maxSessions = maxSessions;
        }

        public int getMaxSessionsPerRoute() {
            return this.maxSessionsPerRoute;
        }

        public void setMaxSessionsPerRoute(int maxSessionsPerRoute) {
            this.maxSessionsPerRoute = maxSessionsPerRoute;
        }

        public int getMaxSessionsPerClient() {
            return this.maxSessionsPerClient;
        }

        public void setMaxSessionsPerClient(int maxSessionsPerClient) {
            this.maxSessionsPerClient = maxSessionsPerClient;
        }

        public String getHandshakeRatePerClient() {
            return this.handshakeRatePerClient;
        }

        public void setHandshakeRatePerClient(String handshakeRatePerClient) {
            this.handshakeRatePerClient = handshakeRatePerClient;
        }

        public String getClientKey() {
            return this.clientKey;
        }

        public void setClientKey(String clientKey) {
            this.clientKey = clientKey;
        }

        public Duration getRetryAfter() {
            return this.retryAfter;
        }

        public void setRetryAfter(Duration retryAfter) {
            this.retryAfter = retryAfter;
        }

        public int getMaxTrackedClients() {
            return this.maxTrackedClients;
        }

        public void setMaxTrackedClients(int maxTrackedClients) {
            this.maxTrackedClients = maxTrackedClients;
        }

        public int getIpv6Prefix() {
            return this.ipv6Prefix;
        }

        public void setIpv6Prefix(int ipv6Prefix) {
            this.ipv6Prefix = ipv6Prefix;
        }

        public int getMaxFragmentsPerMessage() {
            return this.maxFragmentsPerMessage;
        }

        public void setMaxFragmentsPerMessage(int maxFragmentsPerMessage) {
            this.maxFragmentsPerMessage = maxFragmentsPerMessage;
        }

        public int getMaxControlFramesPerSecond() {
            return this.maxControlFramesPerSecond;
        }

        public void setMaxControlFramesPerSecond(int maxControlFramesPerSecond) {
            this.maxControlFramesPerSecond = maxControlFramesPerSecond;
        }
    }

    /**
     * Which browser origins may open WebSockets (against cross-site WebSocket hijacking). Requests without an
     * Origin header (non-browser clients) are always let through.
     */
    public static class Origins {

        /**
         * Origin patterns allowed on routes without allowed-origins metadata, as in CORS: "*" for any,
         * "https://*.example.com", "http://localhost:[*]".
         */
        private List<String> allowed = new ArrayList<>(List.of("*"));

        public List<String> getAllowed() {
            return this.allowed;
        }

        public void setAllowed(List<String> allowed) {
            this.allowed = allowed;
        }
    }

    /** The real client address behind load balancers: Forwarded/X-Forwarded-For and the PROXY protocol. */
    public static class Forwarded {

        /** A header in which proxies record the address they received a request from. */
        public enum Header {
            /** {@code X-Forwarded-For: client, proxy1} (nginx, HAProxy, most cloud L7 load balancers). */
            X_FORWARDED_FOR,
            /** {@code Forwarded: for=client, for=proxy1} (RFC 7239). */
            FORWARDED
        }

        /**
         * Addresses or CIDR blocks (e.g. "10.0.0.0/8", "192.168.1.7") of proxies whose header (see header) is
         * believed and which may send a PROXY protocol header. Empty: the TCP peer is always the client.
         */
        private List<String> trustedProxies = new ArrayList<>();

        /**
         * The one header the trusted proxies write, x-forwarded-for or forwarded; the other is never read. No
         * default: required when trusted-proxies is set, unless the PROXY protocol alone names the client.
         */
        private Header header;

        /**
         * PROXY protocol (v1 and v2) on the traffic port, for L4 load balancers, accepted from trusted-proxies
         * only: OFF, ON (every connection must come from a trusted proxy and start with a PROXY header) or AUTO
         * (a trusted proxy may send one; a PROXY header from anyone else closes the connection).
         */
        @NotNull
        private ProxyProtocolSupportType proxyProtocol = ProxyProtocolSupportType.OFF;

        /**
         * Whether backends get the client address in X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and
         * Forwarded. Either way every client-address header the request came with (X-Real-IP, True-Client-IP,
         * CF-Connecting-IP, Forwarded, X-Forwarded-*...) is removed first.
         */
        private boolean toBackend = true;

        public List<String> getTrustedProxies() {
            return this.trustedProxies;
        }

        public void setTrustedProxies(List<String> trustedProxies) {
            this.trustedProxies = trustedProxies;
        }

        public Header getHeader() {
            return this.header;
        }

        public void setHeader(Header header) {
            this.header = header;
        }

        public ProxyProtocolSupportType getProxyProtocol() {
            return this.proxyProtocol;
        }

        public void setProxyProtocol(ProxyProtocolSupportType proxyProtocol) {
            this.proxyProtocol = proxyProtocol;
        }

        public boolean isToBackend() {
            return this.toBackend;
        }

        public void setToBackend(boolean toBackend) {
            this.toBackend = toBackend;
        }
    }

    /**
     * Defaults for the limits and timers of every proxied session; a route overrides each one with the metadata
     * key of the same name. A zero duration turns a timer off.
     */
    public static class Session {

        /** No text or binary message either way for this long closes both legs with 1001; 0: never. */
        @NotNull
        private Duration idleTimeout = Duration.ZERO;

        /** Time between the gateway's keepalive pings to the client and to the backend; 0: no pings. */
        @NotNull
        private Duration pingInterval = Duration.ofSeconds(30);

        /**
         * A leg that has not answered a keepalive ping within this time is closed, with its session; 0: pings are
         * sent without a deadline.
         */
        @NotNull
        private Duration pongTimeout = Duration.ofSeconds(10);

        /**
         * Largest message relayed either way; a larger one gets its sender Close 1009 and the other leg Close
         * 1001. Unset: only the frame limit of the WebSocket codec applies (the {@code httpclient} setting
         * {@code websocket.max-frame-payload-length}).
         */
        private DataSize maxMessageSize;

        /** Sessions are closed with 1001 once this old (plus jitter), so they rebalance; 0: no limit. */
        @NotNull
        private Duration maxSessionAge = Duration.ZERO;

        /** Up to this much is added at random to each session's max age, so closes don't come in a burst. */
        @NotNull
        private Duration maxSessionAgeJitter = Duration.ZERO;

        public Duration getIdleTimeout() {
            return this.idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public Duration getPingInterval() {
            return this.pingInterval;
        }

        public void setPingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
        }

        public Duration getPongTimeout() {
            return this.pongTimeout;
        }

        public void setPongTimeout(Duration pongTimeout) {
            this.pongTimeout = pongTimeout;
        }

        public DataSize getMaxMessageSize() {
            return this.maxMessageSize;
        }

        public void setMaxMessageSize(DataSize maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
        }

        public Duration getMaxSessionAge() {
            return this.maxSessionAge;
        }

        public void setMaxSessionAge(Duration maxSessionAge) {
            this.maxSessionAge = maxSessionAge;
        }

        public Duration getMaxSessionAgeJitter() {
            return this.maxSessionAgeJitter;
        }

        public void setMaxSessionAgeJitter(Duration maxSessionAgeJitter) {
            this.maxSessionAgeJitter = maxSessionAgeJitter;
        }
    }

    /** Graceful drain on shutdown (SIGTERM): what happens to open sessions and new handshakes. */
    public static class Shutdown {

        /**
         * Open sessions are closed with 1001 spread evenly over this window, so clients don't reconnect in one
         * stampede. Keep it below {@code spring.lifecycle.timeout-per-shutdown-phase} (30s).
         */
        @NotNull
        private Duration drainWindow = Duration.ofSeconds(10);

        /** The {@code Retry-After} of the 503 that handshakes get while the gateway drains. */
        @NotNull
        private Duration retryAfter = Duration.ofSeconds(5);

        public Duration getDrainWindow() {
            return this.drainWindow;
        }

        public void setDrainWindow(Duration drainWindow) {
            this.drainWindow = drainWindow;
        }

        public Duration getRetryAfter() {
            return this.retryAfter;
        }

        public void setRetryAfter(Duration retryAfter) {
            this.retryAfter = retryAfter;
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

        /**
         * What a reload does to the sessions open on a route it removes: keep them on their backend, drain them (1001
         * spread over the drain window) or close them (1001 at once). A route's metadata key
         * {@code on-route-removed} (in the version being removed) overrides it.
         */
        @NotNull
        private OpenSessionsPolicy onRouteRemoved = OpenSessionsPolicy.KEEP;

        /**
         * What a reload does to the sessions open on a route whose {@code uri} it changes; the route's metadata key
         * {@code on-uri-changed} (in the new version) overrides it.
         */
        @NotNull
        private OpenSessionsPolicy onUriChanged = OpenSessionsPolicy.KEEP;

        /** The window over which a reload's {@code drain} spreads its closes, so clients don't reconnect at once. */
        @NotNull
        private Duration drainWindow = Duration.ofSeconds(10);

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

        public OpenSessionsPolicy getOnRouteRemoved() {
            return this.onRouteRemoved;
        }

        public void setOnRouteRemoved(OpenSessionsPolicy onRouteRemoved) {
            this.onRouteRemoved = onRouteRemoved;
        }

        public OpenSessionsPolicy getOnUriChanged() {
            return this.onUriChanged;
        }

        public void setOnUriChanged(OpenSessionsPolicy onUriChanged) {
            this.onUriChanged = onUriChanged;
        }

        public Duration getDrainWindow() {
            return this.drainWindow;
        }

        public void setDrainWindow(Duration drainWindow) {
            this.drainWindow = drainWindow;
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

    /** The sessions endpoint on the management port ({@code /actuator/wsgate}). */
    public static class Admin {

        /**
         * Allow its write operations: closing sessions (one, a route's, a backend instance's) and shedding a share of
         * a route's sessions. Off by default: reads only, writes answer 403.
         */
        private boolean writeEnabled;

        public boolean isWriteEnabled() {
            return this.writeEnabled;
        }

        public void setWriteEnabled(boolean writeEnabled) {
            this.writeEnabled = writeEnabled;
        }
    }

    /**
     * Tokens checked at the handshake (docs/auth.md). The issuer is Spring Boot's own resource server setting,
     * {@code spring.security.oauth2.resourceserver.jwt.issuer-uri} or {@code jwk-set-uri}.
     */
    public static class Auth {

        /** The {@code auth} of routes whose metadata sets none: {@code none} or {@code jwt}. */
        @NotNull
        private AuthMode defaultMode = AuthMode.NONE;

        /** The cookie a token is read from on routes whose {@code auth-token-from} lists {@code cookie}. */
        @NotBlank
        private String cookieName = "access_token";

        /** How long a session may outlive its token's {@code exp} before it is closed with 1008 "token expired". */
        @NotNull
        private Duration expiryGrace = Duration.ZERO;

        /** The {@code auth} of routes whose metadata sets none: {@code none} or {@code jwt}. */
        public AuthMode getDefault() {
            return this.defaultMode;
        }

        public void setDefault(AuthMode defaultMode) {
            this.defaultMode = defaultMode;
        }

        public String getCookieName() {
            return this.cookieName;
        }

        public void setCookieName(String cookieName) {
            this.cookieName = cookieName;
        }

        public Duration getExpiryGrace() {
            return this.expiryGrace;
        }

        public void setExpiryGrace(Duration expiryGrace) {
            this.expiryGrace = expiryGrace;
        }
    }

    /**
     * Limits shared by all replicas (docs/deploy.md, "Shared limits across replicas"). The connection is Spring
     * Boot's {@code spring.data.redis.*}.
     */
    public static class Cluster {

        /** Where the session counts and handshake-rate buckets of all replicas are kept. */
        public enum Store {
            /** Nowhere: every limit holds per replica, and nothing connects to Redis. */
            NONE,
            /** Redis: the session limits and handshake rates hold across all replicas that share it. */
            REDIS
        }

        /**
         * none: every limit is per replica. redis: the global, per-route and per-client session limits and the
         * per-client handshake rate hold across all replicas using the same Redis (spring.data.redis.*).
         */
        @NotNull
        private Store store = Store.NONE;

        /**
         * How long a replica's session counts outlive its last heartbeat (refreshed every third of it): a replica
         * that dies without cleaning up frees its slots within this time.
         */
        @NotNull
        private Duration heartbeatTtl = Duration.ofSeconds(15);

        /**
         * How long admission waits for Redis; slower or failed answers fall back to this replica's local limits
         * (counted in wsgate_cluster_store_errors_total).
         */
        @NotNull
        private Duration timeout = Duration.ofMillis(250);

        /** Prefix of wsgate's Redis keys: gateways that must not share limits use different prefixes. */
        @NotBlank
        private String keyPrefix = "wsgate";

        public Store getStore() {
            return this.store;
        }

        public void setStore(Store store) {
            this.store = store;
        }

        public Duration getHeartbeatTtl() {
            return this.heartbeatTtl;
        }

        public void setHeartbeatTtl(Duration heartbeatTtl) {
            this.heartbeatTtl = heartbeatTtl;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public String getKeyPrefix() {
            return this.keyPrefix;
        }

        public void setKeyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }
    }
}
