package io.wsgate.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.convert.ConversionException;
import org.springframework.core.convert.ConversionService;
import org.springframework.util.StringUtils;
import org.springframework.util.unit.DataSize;
import org.springframework.web.cors.CorsConfiguration;

/**
 * The one reader of wsgate's route metadata: turns a route's {@code metadata:} into its {@link RouteSettings} over
 * the {@code wsgate.*} defaults, or fails with an {@link InvalidRouteSettingsException} naming the route, key and
 * value. Start-up ({@link RouteSettingsConfiguration}), the route reload's dry run and the running gateway
 * ({@link RouteSettingsCache}) all parse with it, so a value is valid everywhere or nowhere.
 */
public final class RouteSettingsParser {

    private static final Logger logger = LoggerFactory.getLogger(RouteSettingsParser.class);

    public static final String IDLE_TIMEOUT = "idle-timeout";

    public static final String PING_INTERVAL = "ping-interval";

    public static final String PONG_TIMEOUT = "pong-timeout";

    public static final String MAX_MESSAGE_SIZE = "max-message-size";

    public static final String MAX_MESSAGE_SIZE_CLIENT_TO_BACKEND = "max-message-size-client-to-backend";

    public static final String MAX_MESSAGE_SIZE_BACKEND_TO_CLIENT = "max-message-size-backend-to-client";

    public static final String MAX_SESSION_AGE = "max-session-age";

    public static final String MAX_SESSION_AGE_JITTER = "max-session-age-jitter";

    public static final String MAX_SESSIONS = "max-sessions";

    public static final String MAX_SESSIONS_PER_CLIENT = "max-sessions-per-client";

    public static final String HANDSHAKE_RATE = "handshake-rate-per-client";

    public static final String CLIENT_KEY = "client-key";

    public static final String ALLOWED_ORIGINS = "allowed-origins";

    public static final String COMPRESSION = "compression";

    public static final String FRAME_LOG = "frame-log";

    public static final String HEALTH_PATH = "health-path";

    public static final String MESSAGE_RATE = "message-rate";

    public static final String MESSAGE_RATE_CLIENT_TO_BACKEND = "message-rate-client-to-backend";

    public static final String MESSAGE_RATE_BACKEND_TO_CLIENT = "message-rate-backend-to-client";

    public static final String BYTE_RATE = "byte-rate";

    public static final String BYTE_RATE_CLIENT_TO_BACKEND = "byte-rate-client-to-backend";

    public static final String BYTE_RATE_BACKEND_TO_CLIENT = "byte-rate-backend-to-client";

    public static final String RATE_LIMIT_ACTION = "rate-limit-action";

    public static final String LB_POLICY = "lb-policy";

    public static final String HASH_KEY = "hash-key";

    public static final String ON_ROUTE_REMOVED = "on-route-removed";

    public static final String ON_URI_CHANGED = "on-uri-changed";

    public static final String AUTH = "auth";

    public static final String AUTH_SCOPES = "auth-scopes";

    public static final String AUTH_CLAIMS = "auth-claims";

    public static final String AUTH_TOKEN_FROM = "auth-token-from";

    public static final String AUTH_KEEP_TOKEN = "auth-keep-token";

    public static final String AUTH_CLAIM_HEADERS = "auth-claim-headers";

    /** The keys wsgate reads. */
    static final Set<String> KEYS = Set.of(
            IDLE_TIMEOUT,
            PING_INTERVAL,
            PONG_TIMEOUT,
            MAX_MESSAGE_SIZE,
            MAX_MESSAGE_SIZE_CLIENT_TO_BACKEND,
            MAX_MESSAGE_SIZE_BACKEND_TO_CLIENT,
            MAX_SESSION_AGE,
            MAX_SESSION_AGE_JITTER,
            MAX_SESSIONS,
            MAX_SESSIONS_PER_CLIENT,
            HANDSHAKE_RATE,
            CLIENT_KEY,
            ALLOWED_ORIGINS,
            COMPRESSION,
            FRAME_LOG,
            HEALTH_PATH,
            ON_ROUTE_REMOVED,
            ON_URI_CHANGED,
            MESSAGE_RATE,
            MESSAGE_RATE_CLIENT_TO_BACKEND,
            MESSAGE_RATE_BACKEND_TO_CLIENT,
            BYTE_RATE,
            BYTE_RATE_CLIENT_TO_BACKEND,
            BYTE_RATE_BACKEND_TO_CLIENT,
            RATE_LIMIT_ACTION,
            LB_POLICY,
            HASH_KEY,
            AUTH,
            AUTH_SCOPES,
            AUTH_CLAIMS,
            AUTH_TOKEN_FROM,
            AUTH_KEEP_TOKEN,
            AUTH_CLAIM_HEADERS);

    private static final Set<TokenSource> DEFAULT_TOKEN_FROM = Set.of(TokenSource.HEADER, TokenSource.QUERY);

    /** An HTTP header name (RFC 9110 token characters). */
    private static final java.util.regex.Pattern HEADER_NAME =
            java.util.regex.Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");

    /**
     * The keys Spring Cloud Gateway reads itself: {@code RouteMetadataUtils} (response and connect timeouts) and
     * {@code CorsGatewayFilterApplicationListener} ({@code cors}).
     */
    static final Set<String> GATEWAY_KEYS = Set.of("response-timeout", "connect-timeout", "cors");

    private static final ConversionService conversion = ApplicationConversionService.getSharedInstance();

    private final WsgateProperties.Session session;

    private final boolean compression;

    private final int maxSessions;

    private final int maxSessionsPerClient;

    private final HandshakeRate handshakeRate;

    private final ClientKey clientKey;

    private final CorsConfiguration allowedOrigins;

    private final OpenSessionsPolicy onRouteRemoved;

    private final OpenSessionsPolicy onUriChanged;

    private final AuthMode auth;

    private final boolean issuerConfigured;

    /** Each route's metadata as last checked: a version's unknown keys are reported once, not on every check. */
    private final Map<String, Map<String, Object>> checked = new ConcurrentHashMap<>();

    public RouteSettingsParser(WsgateProperties properties) {
        this(properties, true);
    }

    /**
     * @param issuerConfigured whether tokens can be checked (a {@code ReactiveJwtDecoder} exists: an issuer or JWK set
     *     is configured); without one, a route with {@code auth: jwt} is invalid
     */
    public RouteSettingsParser(WsgateProperties properties, boolean issuerConfigured) {
        this.issuerConfigured = issuerConfigured;
        this.session = properties.getSession();
        this.compression = properties.getProxy().isCompression();
        this.maxSessions = properties.getLimits().getMaxSessionsPerRoute();
        this.maxSessionsPerClient = properties.getLimits().getMaxSessionsPerClient();
        this.handshakeRate = HandshakeRate.parse(properties.getLimits().getHandshakeRatePerClient());
        try {
            this.clientKey = ClientKey.parse(properties.getLimits().getClientKey());
        } catch (IllegalArgumentException ex) {
            throw new org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException(
                    "wsgate.limits.client-key", properties.getLimits().getClientKey(), "address or claim:<name>");
        }
        this.allowedOrigins = origins(properties.getOrigins().getAllowed());
        this.onRouteRemoved = properties.getReload().getOnRouteRemoved();
        this.onUriChanged = properties.getReload().getOnUriChanged();
        this.auth = properties.getAuth().getDefault();
        if (this.auth == AuthMode.JWT && !issuerConfigured) {
            throw new org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException(
                    "wsgate.auth.default",
                    "jwt",
                    "no token issuer is configured: set spring.security.oauth2.resourceserver.jwt.issuer-uri or"
                            + " jwk-set-uri");
        }
    }

    /** The settings of a route that sets nothing: the {@code wsgate.*} defaults. */
    public RouteSettings defaults(String routeId) {
        return parse(routeId, Map.of());
    }

    /**
     * The route's settings; each key present replaces its default.
     *
     * @throws InvalidRouteSettingsException for the first value that is not what its key takes
     */
    public RouteSettings parse(String routeId, Map<String, Object> metadata) {
        Metadata values = new Metadata(routeId, metadata);
        DataSize bothWays = values.get(MAX_MESSAGE_SIZE, DataSize.class, this.session.getMaxMessageSize());
        long maxMessageSize = bothWays != null ? bothWays.toBytes() : Long.MAX_VALUE;
        RoutePolicy session = new RoutePolicy(
                values.get(IDLE_TIMEOUT, Duration.class, this.session.getIdleTimeout()),
                values.get(PING_INTERVAL, Duration.class, this.session.getPingInterval()),
                values.get(PONG_TIMEOUT, Duration.class, this.session.getPongTimeout()),
                values.size(MAX_MESSAGE_SIZE_CLIENT_TO_BACKEND, maxMessageSize),
                values.size(MAX_MESSAGE_SIZE_BACKEND_TO_CLIENT, maxMessageSize),
                values.get(MAX_SESSION_AGE, Duration.class, this.session.getMaxSessionAge()),
                values.get(MAX_SESSION_AGE_JITTER, Duration.class, this.session.getMaxSessionAgeJitter()),
                values.messageLimits());
        return new RouteSettings(
                routeId,
                session,
                values.sessionCount(MAX_SESSIONS, this.maxSessions),
                values.sessionCount(MAX_SESSIONS_PER_CLIENT, this.maxSessionsPerClient),
                values.handshakeRate(this.handshakeRate),
                values.origins(this.allowedOrigins),
                values.bool(COMPRESSION, this.compression),
                values.bool(FRAME_LOG, false),
                values.text(HEALTH_PATH),
                values.policy(ON_ROUTE_REMOVED, this.onRouteRemoved),
                values.policy(ON_URI_CHANGED, this.onUriChanged),
                values.balancing(),
                values.auth(this.auth, this.issuerConfigured),
                values.clientKey(this.clientKey));
    }

    /**
     * {@link #parse} for a route being put in force (at start-up, by a reload): also logs a warning for each key
     * nobody reads, with the known key it most likely misspells, once per version of the route's metadata.
     */
    public RouteSettings check(String routeId, Map<String, Object> metadata) {
        RouteSettings settings = parse(routeId, metadata);
        Map<String, Object> previous = this.checked.put(routeId, new LinkedHashMap<>(metadata));
        if (metadata.equals(previous)) {
            return settings;
        }
        for (String key : unknownKeys(metadata)) {
            String guess = closestKey(key);
            logger.warn(
                    "Route {}: unknown metadata key '{}'{}; it is ignored",
                    routeId,
                    key,
                    guess != null ? " (did you mean '" + guess + "'?)" : "");
        }
        return settings;
    }

    /** The metadata keys neither wsgate nor Spring Cloud Gateway reads, in their order. */
    static List<String> unknownKeys(Map<String, Object> metadata) {
        return metadata.keySet().stream()
                .filter(key -> !KEYS.contains(key) && !GATEWAY_KEYS.contains(key))
                .toList();
    }

    /** The known key {@code key} most likely misspells (case, separators and up to two edits); null if none. */
    static String closestKey(String key) {
        String typed = normalized(key);
        return Stream.concat(KEYS.stream(), GATEWAY_KEYS.stream())
                .filter(known -> distance(typed, normalized(known)) <= 2)
                .min(Comparator.comparingInt((String known) -> distance(typed, normalized(known)))
                        .thenComparing(Comparator.naturalOrder()))
                .orElse(null);
    }

    private static String normalized(String key) {
        return key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** Origin patterns as CORS takes them: "*", "https://*.example.com", "http://localhost:[*]". */
    private static CorsConfiguration origins(List<String> patterns) {
        CorsConfiguration origins = new CorsConfiguration();
        origins.setAllowedOriginPatterns(patterns);
        return origins;
    }

    /** One route's metadata, read key by key. */
    private record Metadata(String routeId, Map<String, Object> values) {

        /** Spring Boot's forms ({@code 500ms}, {@code 5m}, {@code 64KB}; a bare number is ms or bytes). */
        <T> T get(String key, Class<T> type, T fallback) {
            Object value = this.values.get(key);
            if (value == null || value.toString().isBlank()) {
                return fallback;
            }
            String expected = type == Duration.class ? "a duration such as 500ms or 5m" : "a size such as 64KB";
            try {
                T converted = conversion.convert(value, type);
                if (converted == null) {
                    throw invalid(key, value, expected, null);
                }
                return converted;
            } catch (ConversionException ex) {
                throw invalid(key, value, expected, ex);
            }
        }

        long size(String key, long fallback) {
            DataSize size = get(key, DataSize.class, null);
            return size != null ? size.toBytes() : fallback;
        }

        /** max-sessions, max-sessions-per-client: 0 (no limit) or more. */
        int sessionCount(String key, int fallback) {
            Object value = this.values.get(key);
            if (value == null) {
                return fallback;
            }
            int maxSessions;
            try {
                maxSessions = Integer.parseInt(value.toString().trim());
            } catch (NumberFormatException ex) {
                maxSessions = -1;
            }
            if (maxSessions < 0) {
                throw invalid(key, value, "a number of sessions: 0 (no limit) or more", null);
            }
            return maxSessions;
        }

        /** "10/s", "100/1m"; empty or "off": no limit. */
        HandshakeRate handshakeRate(HandshakeRate fallback) {
            Object value = this.values.get(HANDSHAKE_RATE);
            if (value == null) {
                return fallback;
            }
            try {
                return HandshakeRate.parse(value.toString());
            } catch (IllegalArgumentException ex) {
                throw invalid(HANDSHAKE_RATE, value, "a rate such as 10/s or 100/1m, or off", ex);
            }
        }

        /** {@code address} or {@code claim:<name>}. */
        ClientKey clientKey(ClientKey fallback) {
            String text = text(CLIENT_KEY);
            if (text == null) {
                return fallback;
            }
            try {
                return ClientKey.parse(text);
            } catch (IllegalArgumentException ex) {
                throw invalid(CLIENT_KEY, text, "address or claim:<name>, e.g. claim:sub", ex);
            }
        }

        CorsConfiguration origins(CorsConfiguration fallback) {
            Object value = this.values.get(ALLOWED_ORIGINS);
            if (value == null) {
                return fallback;
            }
            try {
                return RouteSettingsParser.origins(list(value));
            } catch (IllegalArgumentException ex) {
                throw invalid(ALLOWED_ORIGINS, value, "a list of origin patterns: " + ex.getMessage(), ex);
            }
        }

        /** {@code true} or {@code false}, in any case; anything else is a mistake, not {@code false}. */
        boolean bool(String key, boolean fallback) {
            Object value = this.values.get(key);
            if (value == null || value.toString().isBlank()) {
                return fallback;
            }
            String text = value.toString().trim();
            if (text.equalsIgnoreCase("true")) {
                return true;
            }
            if (text.equalsIgnoreCase("false")) {
                return false;
            }
            throw invalid(key, value, "true or false", null);
        }

        /** The per-session rates: a direction's own key over the key for both ways. */
        MessageLimits messageLimits() {
            MessageRate messages =
                    rate(MESSAGE_RATE, MessageRate::messages, "messages/period, e.g. 100/s or 100/s burst 300");
            MessageRate bytes = rate(BYTE_RATE, MessageRate::bytes, "size/period, e.g. 1MB/s or 64KB/s burst 1MB");
            MessageLimits limits = new MessageLimits(
                    orElse(
                            rate(MESSAGE_RATE_CLIENT_TO_BACKEND, MessageRate::messages, "messages/period, e.g. 100/s"),
                            messages),
                    orElse(rate(BYTE_RATE_CLIENT_TO_BACKEND, MessageRate::bytes, "size/period, e.g. 1MB/s"), bytes),
                    orElse(
                            rate(MESSAGE_RATE_BACKEND_TO_CLIENT, MessageRate::messages, "messages/period, e.g. 100/s"),
                            messages),
                    orElse(rate(BYTE_RATE_BACKEND_TO_CLIENT, MessageRate::bytes, "size/period, e.g. 1MB/s"), bytes),
                    action());
            return limits.limits(io.wsgate.vocabulary.Direction.CLIENT_TO_BACKEND)
                            || limits.limits(io.wsgate.vocabulary.Direction.BACKEND_TO_CLIENT)
                    ? limits
                    : MessageLimits.NONE;
        }

        private MessageRate rate(String key, java.util.function.Function<String, MessageRate> parser, String expected) {
            String text = text(key);
            try {
                return parser.apply(text);
            } catch (RuntimeException ex) {
                throw invalid(key, text, expected, ex);
            }
        }

        private static MessageRate orElse(MessageRate own, MessageRate bothWays) {
            return own != null ? own : bothWays;
        }

        private MessageLimits.Action action() {
            String text = text(RATE_LIMIT_ACTION);
            if (text == null || text.equalsIgnoreCase("throttle")) {
                return MessageLimits.Action.THROTTLE;
            }
            if (text.equalsIgnoreCase("close")) {
                return MessageLimits.Action.CLOSE;
            }
            throw invalid(RATE_LIMIT_ACTION, text, "throttle or close", null);
        }

        /** {@code lb-policy} and, for {@code hash}, its {@code hash-key}. */
        Balancing balancing() {
            String policy = text(LB_POLICY);
            String key = text(HASH_KEY);
            if (policy == null || policy.equalsIgnoreCase("round-robin")) {
                return Balancing.ROUND_ROBIN;
            }
            if (policy.equalsIgnoreCase("least-sessions")) {
                return new Balancing(Balancing.Policy.LEAST_SESSIONS, null);
            }
            if (!policy.equalsIgnoreCase("hash")) {
                throw invalid(LB_POLICY, policy, "round-robin, least-sessions or hash", null);
            }
            if (key == null) {
                throw invalid(
                        HASH_KEY, null, "a hash key for lb-policy hash: header:NAME, cookie:NAME or query:NAME", null);
            }
            try {
                return new Balancing(Balancing.Policy.HASH, Balancing.HashKey.parse(key));
            } catch (IllegalArgumentException ex) {
                throw invalid(HASH_KEY, key, "header:NAME, cookie:NAME or query:NAME", ex);
            }
        }

        /** The {@code auth*} keys; checked even on a route without {@code auth: jwt}, so a typo shows at once. */
        RouteAuth auth(AuthMode fallback, boolean issuerConfigured) {
            String modeText = text(AUTH);
            AuthMode mode = fallback;
            if (modeText != null) {
                mode = switch (modeText.toLowerCase(Locale.ROOT)) {
                    case "jwt" -> AuthMode.JWT;
                    case "none" -> AuthMode.NONE;
                    default -> throw invalid(AUTH, modeText, "jwt or none", null);
                };
            }
            if (mode == AuthMode.JWT && !issuerConfigured) {
                throw invalid(
                        AUTH,
                        "jwt",
                        "possible without a token issuer: set spring.security.oauth2.resourceserver.jwt.issuer-uri"
                                + " or jwk-set-uri (or set auth: none)",
                        null);
            }
            Object scopeValue = this.values.get(AUTH_SCOPES);
            Set<String> scopes = scopeValue == null
                    ? Set.of()
                    : Set.copyOf(list(scopeValue).stream()
                            .flatMap(item -> Stream.of(item.split("\\s+")))
                            .toList());
            List<Map.Entry<String, String>> claims = new ArrayList<>();
            Object claimValue = this.values.get(AUTH_CLAIMS);
            if (claimValue != null) {
                for (String pair : list(claimValue)) {
                    int eq = pair.indexOf('=');
                    if (eq <= 0 || eq == pair.length() - 1) {
                        throw invalid(AUTH_CLAIMS, claimValue, "claim=value pairs, e.g. tenant=acme,role=admin", null);
                    }
                    claims.add(Map.entry(
                            pair.substring(0, eq).trim(), pair.substring(eq + 1).trim()));
                }
            }
            Set<TokenSource> tokenFrom = DEFAULT_TOKEN_FROM;
            Object fromValue = this.values.get(AUTH_TOKEN_FROM);
            if (fromValue != null) {
                java.util.EnumSet<TokenSource> sources = java.util.EnumSet.noneOf(TokenSource.class);
                for (String item : list(fromValue)) {
                    try {
                        sources.add(TokenSource.valueOf(item.toUpperCase(Locale.ROOT)));
                    } catch (IllegalArgumentException ex) {
                        throw invalid(AUTH_TOKEN_FROM, fromValue, "a list of header, query, cookie, subprotocol", ex);
                    }
                }
                if (sources.isEmpty()) {
                    throw invalid(AUTH_TOKEN_FROM, fromValue, "a list of header, query, cookie, subprotocol", null);
                }
                tokenFrom = Set.copyOf(sources);
            }
            Map<String, String> claimHeaders = new LinkedHashMap<>();
            Object headersValue = this.values.get(AUTH_CLAIM_HEADERS);
            if (headersValue != null) {
                for (String pair : list(headersValue)) {
                    int eq = pair.indexOf('=');
                    String header = eq > 0 ? pair.substring(eq + 1).trim() : "";
                    if (eq <= 0 || !HEADER_NAME.matcher(header).matches()) {
                        throw invalid(
                                AUTH_CLAIM_HEADERS,
                                headersValue,
                                "claim=Header-Name pairs, e.g. sub=X-Auth-Subject,tenant=X-Auth-Tenant",
                                null);
                    }
                    claimHeaders.put(pair.substring(0, eq).trim(), header);
                }
            }
            return new RouteAuth(
                    mode,
                    scopes,
                    List.copyOf(claims),
                    tokenFrom,
                    bool(AUTH_KEEP_TOKEN, false),
                    java.util.Collections.unmodifiableMap(claimHeaders));
        }

        /** {@code keep}, {@code drain} or {@code close}, in any case. */
        OpenSessionsPolicy policy(String key, OpenSessionsPolicy fallback) {
            String text = text(key);
            if (text == null) {
                return fallback;
            }
            for (OpenSessionsPolicy policy : OpenSessionsPolicy.values()) {
                if (policy.name().equalsIgnoreCase(text)) {
                    return policy;
                }
            }
            throw invalid(key, text, "keep, drain or close", null);
        }

        String text(String key) {
            Object value = this.values.get(key);
            return value == null || value.toString().isBlank()
                    ? null
                    : value.toString().trim();
        }

        private InvalidRouteSettingsException invalid(String key, Object value, String expected, Throwable cause) {
            return new InvalidRouteSettingsException(this.routeId, key, value, expected, cause);
        }

        /**
         * A metadata value as a list: YAML lists arrive as a collection or as a map by index ("0", "1", ...)
         * depending on where they were bound; a string is split at commas.
         */
        private static List<String> list(Object value) {
            Collection<?> items;
            if (value instanceof Collection<?> collection) {
                items = collection;
            } else if (value instanceof Map<?, ?> map) {
                items = map.values();
            } else {
                items = List.of(StringUtils.commaDelimitedListToStringArray(value.toString()));
            }
            List<String> values = new ArrayList<>();
            for (Object item : items) {
                String text = item.toString().trim();
                if (!text.isEmpty()) {
                    values.add(text);
                }
            }
            return values;
        }
    }
}
