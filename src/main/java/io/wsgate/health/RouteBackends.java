package io.wsgate.health;

import io.wsgate.config.InvalidRouteSettingsException;
import io.wsgate.config.RouteSettingsCache;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;

/**
 * Which backend addresses a WebSocket route sends to: its {@code ws://}/{@code wss://} uri, or every instance of
 * an {@code lb:ws://} service, each with the route's probe path ({@code health-path} metadata, else the uri's
 * path, else {@code /}).
 */
class RouteBackends {

    private final ReactiveDiscoveryClient discoveryClient;

    private final RouteSettingsCache routeSettings;

    RouteBackends(ReactiveDiscoveryClient discoveryClient, RouteSettingsCache routeSettings) {
        this.discoveryClient = discoveryClient;
        this.routeSettings = routeSettings;
    }

    /** Whether the route is a WebSocket route whose backends can be probed. */
    static boolean isWebSocketRoute(Route route) {
        return webSocketScheme(route.getUri()) != null;
    }

    Mono<List<URI>> backends(Route route) {
        URI uri = route.getUri();
        String scheme = webSocketScheme(uri);
        String path = probePath(route);
        if (!"lb".equalsIgnoreCase(uri.getScheme())) {
            return Mono.just(List.of(withPath(uri, scheme, path)));
        }
        if (this.discoveryClient == null) {
            return Mono.just(List.of());
        }
        String serviceId = URI.create(uri.getSchemeSpecificPart()).getHost();
        return this.discoveryClient
                .getInstances(serviceId)
                .map(instance -> withPath(instance.getUri(), instanceScheme(instance, scheme), path))
                .collectList();
    }

    /** {@code ws} or {@code wss} for ws://, wss://, lb:ws:// and lb:wss:// uris; null for anything else. */
    static String webSocketScheme(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("lb") && uri.getSchemeSpecificPart() != null) {
            String inner = uri.getSchemeSpecificPart().toLowerCase(Locale.ROOT);
            return inner.startsWith("ws://") ? "ws" : inner.startsWith("wss://") ? "wss" : null;
        }
        return scheme.equals("ws") || scheme.equals("wss") ? scheme : null;
    }

    private static String instanceScheme(ServiceInstance instance, String routeScheme) {
        return instance.isSecure() ? "wss" : routeScheme;
    }

    private String probePath(Route route) {
        String configured = healthPath(route);
        if (configured != null) {
            return configured;
        }
        URI uri = route.getUri();
        return uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    }

    private String healthPath(Route route) {
        try {
            return this.routeSettings.get(route).healthPath();
        } catch (InvalidRouteSettingsException ex) {
            // Its handshakes get 500 and say why; the probe still tells whether the backend answers.
            return null;
        }
    }

    private static URI withPath(URI base, String scheme, String path) {
        return UriComponentsBuilder.newInstance()
                .scheme(scheme)
                .host(base.getHost())
                .port(base.getPort())
                .path(path)
                .build()
                .toUri();
    }
}
