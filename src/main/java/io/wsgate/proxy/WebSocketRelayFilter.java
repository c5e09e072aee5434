package io.wsgate.proxy;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.PRESERVE_HOST_HEADER_ATTRIBUTE;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.containsEncodedParts;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.isAlreadyRouted;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.setAlreadyRouted;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.wsgate.config.InvalidRouteSettingsException;
import io.wsgate.config.RoutePolicy;
import io.wsgate.config.RouteSettings;
import io.wsgate.config.RouteSettingsCache;
import io.wsgate.config.WsgateProperties;
import io.wsgate.metrics.RouteMeters;
import io.wsgate.metrics.WebSocketMetrics;
import io.wsgate.pipeline.FrameCaps;
import io.wsgate.pipeline.FrameCheck;
import io.wsgate.session.FrameLog;
import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionLog;
import io.wsgate.session.WebSocketRelay;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.Leg;
import io.wsgate.vocabulary.RejectionReason;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.WebsocketRoutingFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.Ordered;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.CollectionUtils;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.util.context.Context;

/**
 * Routes WebSocket requests ({@code ws://}, {@code wss://}, resolved {@code lb:ws://}, or an upgrade on an
 * {@code http(s)://} route) in place of Spring Cloud Gateway's {@link WebsocketRoutingFilter}.
 *
 * <p>The stock filter upgrades the client (101) first and only then connects to the backend, so a dead or
 * refusing backend looks like a good handshake followed by Close 1002; it also accepts the client's first
 * subprotocol before the backend chose one, drops the backend's handshake response headers and never stops
 * its {@code http.client.requests} observation. This filter puts the steps in the right order: check the
 * client's request, complete the backend handshake, and only then upgrade the client with the backend's
 * subprotocol and response headers; a backend that refuses, is unreachable or is too slow gets the client
 * an HTTP error, never a 101.
 */
public class WebSocketRelayFilter implements GlobalFilter, Ordered {

    private static final Logger logger = LoggerFactory.getLogger(WebSocketRelayFilter.class);

    /**
     * Exchange attribute: the {@link java.time.Instant} the session must end at because the client's token expires
     * then (set by the handshake's token check, {@code auth/HandshakeAuthFilter}).
     */
    public static final String TOKEN_DEADLINE_ATTR = WebSocketRelayFilter.class.getName() + ".tokenDeadline";

    /**
     * Exchange attribute: the client's key for the per-client limits when the route keys clients by a token claim
     * and the handshake's verified token carries it ({@link io.wsgate.config.ClientKey#keyOf}; set by the token
     * check, read by admission and kept with the session). Absent: the client counts by its address.
     */
    public static final String CLIENT_KEY_ATTR = WebSocketRelayFilter.class.getName() + ".clientKey";

    private static final String SEC_WEBSOCKET_PREFIX = "sec-websocket-";

    private static final String SEC_WEBSOCKET_PROTOCOL = "Sec-WebSocket-Protocol";

    private static final MultiValueMap<String, HttpCookie> EMPTY_COOKIES =
            CollectionUtils.unmodifiableMultiValueMap(new LinkedMultiValueMap<>());

    private final BackendConnector connector;

    private final RequestUpgradeStrategy upgradeStrategy;

    private final WebSocketRelay relay;

    private final ObjectProvider<List<HttpHeadersFilter>> headersFiltersProvider;

    private final WebSocketMetrics metrics;

    private final int frameLogMaxPayload;

    private final RouteSettingsCache routeSettings;
    private final PerMessageDeflate deflate;
    private final int maxMessageSize;

    private final WsgateProperties.Limits limits;

    private volatile List<HttpHeadersFilter> headersFilters;

    public WebSocketRelayFilter(
            BackendConnector connector,
            RequestUpgradeStrategy upgradeStrategy,
            WebSocketRelay relay,
            ObjectProvider<List<HttpHeadersFilter>> headersFiltersProvider,
            WebSocketMetrics metrics,
            int frameLogMaxPayload,
            RouteSettingsCache routeSettings,
            PerMessageDeflate deflate,
            int maxMessageSize,
            WsgateProperties.Limits limits) {
        this.connector = connector;
        this.upgradeStrategy = upgradeStrategy;
        this.relay = relay;
        this.headersFiltersProvider = headersFiltersProvider;
        this.metrics = metrics;
        this.frameLogMaxPayload = frameLogMaxPayload;
        this.routeSettings = routeSettings;
        this.deflate = deflate;
        this.maxMessageSize = maxMessageSize;
        this.limits = limits;
    }

    @Override
    public int getOrder() {
        return FilterOrder.WEBSOCKET_RELAY;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        URI requestUrl = exchange.getRequiredAttribute(GATEWAY_REQUEST_URL_ATTR);
        ServerHttpRequest request = exchange.getRequest();
        if (isAlreadyRouted(exchange) || !isWebSocketRoute(requestUrl, request.getHeaders())) {
            return chain.filter(exchange);
        }
        setAlreadyRouted(exchange);
        Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
        String routeId = route != null ? route.getId() : "unknown";
        RouteMeters meters = this.metrics.route(routeId);

        HandshakeRejection invalid = UpgradeRequestCheck.check(request);
        if (invalid != null) {
            logger.info(
                    "Route {}: refused handshake from {} with {}: {}",
                    routeId,
                    SessionLog.address(request.getRemoteAddress()),
                    invalid.status().value(),
                    invalid.reason());
            meters.handshakeRejected(
                    RejectionReason.BAD_REQUEST, invalid.status().value());
            return invalid.writeTo(exchange.getResponse());
        }

        RouteSettings settings;
        try {
            settings = this.routeSettings.get(route);
        } catch (InvalidRouteSettingsException ex) {
            // Only a route put in force without the start-up or reload check (the actuator's API, a RouteLocator).
            logger.error("Route {}: refused handshake, the route is misconfigured: {}", routeId, ex.getMessage());
            meters.handshakeRejected(RejectionReason.MISCONFIGURED, HttpStatus.INTERNAL_SERVER_ERROR.value());
            return HandshakeRejection.of(HttpStatus.INTERNAL_SERVER_ERROR, "route " + routeId + " is misconfigured")
                    .writeTo(exchange.getResponse());
        }

        RoutePolicy policy = settings.session();
        URI backendUri = toWebSocketScheme(requestUrl);
        SessionLog.routeMatched(routeId, request.getRemoteAddress(), backendUri);
        HttpHeaders backendHeaders = HttpHeadersFilter.filterRequest(headersFilters(), exchange);
        removeHandshakeHeaders(backendHeaders);
        if (Boolean.TRUE.equals(exchange.getAttribute(PRESERVE_HOST_HEADER_ATTRIBUTE))) {
            backendHeaders.set(HttpHeaders.HOST, request.getHeaders().getFirst(HttpHeaders.HOST));
        } else {
            backendHeaders.remove(HttpHeaders.HOST);
        }
        List<String> protocols = requestedProtocols(request.getHeaders());

        SessionLog.backendHandshakeSent(routeId, request.getRemoteAddress(), backendUri, protocols);
        ProxiedSession session = new ProxiedSession(
                routeId,
                request.getRemoteAddress(),
                backendUri,
                meters,
                FrameLog.of(settings.frameLog(), this.frameLogMaxPayload),
                policy);
        session.countsAs(exchange.getAttribute(CLIENT_KEY_ATTR));
        java.time.Instant tokenDeadline = exchange.getAttribute(TOKEN_DEADLINE_ATTR);
        if (tokenDeadline != null) {
            session.endsWithTokenAt(tokenDeadline);
        }
        // permessage-deflate per route: each leg negotiates it on its own.
        boolean compress = settings.compression();
        BackendConnector backendConnector = compress ? this.deflate.connector() : this.connector;
        RequestUpgradeStrategy clientUpgrade = compress
                ? this.deflate.upgradeStrategy(maxMessageSize(policy, Direction.CLIENT_TO_BACKEND))
                : this.upgradeStrategy;
        long start = System.nanoTime();
        return backendConnector
                .connect(backendUri, backendHeaders, protocols, session.lifecycle())
                .contextWrite(PerMessageDeflate.backendLimit(maxMessageSize(policy, Direction.BACKEND_TO_CLIENT)))
                .onErrorMap(ex -> BackendHandshakeException.from(ex, backendUri, protocols))
                .doOnSuccess(backend -> {
                    long nanos = System.nanoTime() - start;
                    meters.backendHandshake(nanos, "success");
                    SessionLog.backendAnswered(routeId, request.getRemoteAddress(), backend.subProtocol(), nanos);
                })
                .flatMap(backend ->
                        onClientEventLoop(exchange, () -> upgradeClient(exchange, clientUpgrade, backend, session)))
                .onErrorResume(BackendHandshakeException.class, ex -> {
                    logger.warn("Route {}: {}", routeId, ex.getMessage());
                    HandshakeRejection rejection = ex.rejection();
                    meters.backendHandshake(
                            System.nanoTime() - start, ex.reason().tag());
                    meters.handshakeRejected(ex.reason(), rejection.status().value());
                    exchange.getResponse().setStatusCode(rejection.status());
                    HttpHeaders forClient = responseHeadersForClient(rejection.headers(), exchange);
                    return new HandshakeRejection(rejection.status(), rejection.reason(), forClient)
                            .writeTo(exchange.getResponse());
                });
    }

    private Mono<Void> upgradeClient(
            ServerWebExchange exchange,
            RequestUpgradeStrategy upgradeStrategy,
            BackendConnection backend,
            ProxiedSession session) {
        HandshakeInfo backendHandshake = backend.session().getHandshakeInfo();
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.SWITCHING_PROTOCOLS);
        response.getHeaders().addAll(responseHeadersForClient(backendHandshake.getHeaders(), exchange));
        // The backend's choice, none included: the client judges it (RFC 6455 §4.1 lets it fail the connection).
        String protocol = backend.subProtocol();

        AtomicBoolean relaying = new AtomicBoolean();
        WebSocketHandler clientHandler = client -> {
            relaying.set(true);
            checkClientFrames(exchange, session);
            checkBackendFrames(backend, session);
            return this.relay.relay(client, backend.session(), backend::release, session);
        };
        // Straight to the upgrade strategy: the request was checked already, and the subprotocol is the
        // backend's choice (HandshakeWebSocketService would pick one from the client's offer itself).
        return upgradeStrategy
                .upgrade(exchange, clientHandler, protocol, () -> handshakeInfo(exchange, protocol))
                // Reactor Netty subscribes the client's relay with the upgrade's context and keeps it for the whole
                // session; the handshake's context (the exchange, its observation) must not stay with it.
                .contextWrite(context -> Context.empty())
                .doFinally(signal -> {
                    // The client was never upgraded (it went away, or its handshake failed): free the backend.
                    if (!relaying.get()) {
                        session.lifecycle().clientNeverUpgraded();
                        backend.release();
                    }
                });
    }

    /**
     * Fails invalid frames from the client with the close code RFC 6455 names (see {@link FrameCheck}); such
     * a close is the gateway's, decided by the session's lifecycle.
     */
    private void checkClientFrames(ServerWebExchange exchange, ProxiedSession session) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (nativeRequest instanceof Connection connection) {
            FrameCheck.installOnClient(
                    connection.channel(),
                    this.maxMessageSize,
                    frameCaps(),
                    status -> session.lifecycle().violation(Leg.CLIENT, status));
        }
    }

    /**
     * Fails a backend that sends what would cost the gateway memory (see {@link FrameCheck}): the backend gets
     * the check's 1009/1008, the client 1001, and the close counts as the gateway's.
     */
    private void checkBackendFrames(BackendConnection backend, ProxiedSession session) {
        Channel channel = backend.channel();
        if (channel != null) {
            FrameCheck.installOnBackend(
                    channel,
                    maxMessageSize(session.policy(), Direction.BACKEND_TO_CLIENT),
                    frameCaps(),
                    status -> session.lifecycle().violation(Leg.BACKEND, status));
        }
    }

    private FrameCaps frameCaps() {
        return new FrameCaps(this.limits.getMaxFragmentsPerMessage(), this.limits.getMaxControlFramesPerSecond());
    }

    /** The largest message of one direction: the route's limit, within the gateway's frame limit. */
    private int maxMessageSize(RoutePolicy policy, Direction direction) {
        return (int) Math.min(this.maxMessageSize, policy.maxMessageSize(direction));
    }

    /**
     * Runs the client's upgrade on the client connection's own event loop. The backend answers on another
     * loop; upgrading from there lets a frame the client sends right after the 101 reach the connection
     * before Reactor Netty has switched it to WebSocket, and that frame (a close, say) is dropped.
     */
    private static Mono<Void> onClientEventLoop(ServerWebExchange exchange, Supplier<Mono<Void>> upgrade) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (nativeRequest instanceof Connection connection) {
            EventLoop eventLoop = connection.channel().eventLoop();
            if (!eventLoop.inEventLoop()) {
                return Mono.defer(upgrade).subscribeOn(Schedulers.fromExecutor(eventLoop));
            }
        }
        return Mono.defer(upgrade);
    }

    /**
     * The backend's handshake response headers minus hop-by-hop and handshake headers, through the gateway's
     * response header filters (which also end the gateway's client observation).
     */
    private HttpHeaders responseHeadersForClient(HttpHeaders backendHeaders, ServerWebExchange exchange) {
        HttpHeaders filtered =
                HttpHeadersFilter.filter(headersFilters(), backendHeaders, exchange, HttpHeadersFilter.Type.RESPONSE);
        HttpHeaders forClient = new HttpHeaders();
        forClient.addAll(filtered);
        removeHandshakeHeaders(forClient);
        forClient.remove(HttpHeaders.CONTENT_LENGTH);
        return forClient;
    }

    private static void removeHandshakeHeaders(HttpHeaders headers) {
        List<String> handshakeHeaders = new ArrayList<>();
        for (String name : headers.headerNames()) {
            if (name.toLowerCase(Locale.ROOT).startsWith(SEC_WEBSOCKET_PREFIX)) {
                handshakeHeaders.add(name);
            }
        }
        handshakeHeaders.forEach(headers::remove);
    }

    private List<HttpHeadersFilter> headersFilters() {
        List<HttpHeadersFilter> filters = this.headersFilters;
        if (filters == null) {
            filters = List.copyOf(this.headersFiltersProvider.getIfAvailable(List::of));
            this.headersFilters = filters;
        }
        return filters;
    }

    /**
     * The route of a WebSocket upgrade this filter will relay, for the filters before it (token check, admission);
     * {@code null} for any other request.
     */
    public static Route upgradeRoute(ServerWebExchange exchange) {
        URI requestUrl = exchange.getAttribute(GATEWAY_REQUEST_URL_ATTR);
        HttpHeaders headers = exchange.getRequest().getHeaders();
        Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
        return requestUrl != null
                        && route != null
                        && "websocket".equalsIgnoreCase(headers.getUpgrade())
                        && isWebSocketRoute(requestUrl, headers)
                ? route
                : null;
    }

    /**
     * The settings of the WebSocket route this upgrade request is for, for the filters that run before the relay;
     * {@code null} when it is no such request, or when the route's metadata does not parse (the relay then refuses
     * it with 500 and says why).
     */
    public static RouteSettings upgradeRouteSettings(ServerWebExchange exchange, RouteSettingsCache settings) {
        Route route = upgradeRoute(exchange);
        if (route == null) {
            return null;
        }
        try {
            return settings.get(route);
        } catch (InvalidRouteSettingsException ex) {
            return null;
        }
    }

    /** Whether this filter relays the request: a ws(s):// route, or an upgrade request on an http(s):// one. */
    public static boolean isWebSocketRoute(URI requestUrl, HttpHeaders headers) {
        String scheme = requestUrl.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "ws", "wss" -> true;
            case "http", "https" -> UpgradeRequestCheck.isUpgrade(headers);
            default -> false;
        };
    }

    static URI toWebSocketScheme(URI requestUrl) {
        String scheme = requestUrl.getScheme().toLowerCase(Locale.ROOT);
        String wsScheme = switch (scheme) {
            case "http" -> "ws";
            case "https" -> "wss";
            default -> scheme;
        };
        if (wsScheme.equals(requestUrl.getScheme())) {
            return requestUrl;
        }
        return UriComponentsBuilder.fromUri(requestUrl)
                .scheme(wsScheme)
                .build(containsEncodedParts(requestUrl))
                .toUri();
    }

    static List<String> requestedProtocols(HttpHeaders headers) {
        List<String> protocols = new ArrayList<>();
        for (String value : headers.getOrEmpty(SEC_WEBSOCKET_PROTOCOL)) {
            protocols.addAll(List.of(StringUtils.tokenizeToStringArray(value, ",")));
        }
        return protocols;
    }

    /**
     * The client session's handshake info. Without the request's headers and cookies: the relay never reads them
     * (the backend got them in its own handshake), and a copy would be held for the whole session (docs/benchmark.md,
     * "Memory per idle session").
     */
    private static HandshakeInfo handshakeInfo(ServerWebExchange exchange, String protocol) {
        ServerHttpRequest request = exchange.getRequest();
        return new HandshakeInfo(
                request.getURI(),
                HttpHeaders.EMPTY,
                EMPTY_COOKIES,
                exchange.getPrincipal(),
                protocol,
                request.getRemoteAddress(),
                Map.of(),
                exchange.getLogPrefix());
    }
}
