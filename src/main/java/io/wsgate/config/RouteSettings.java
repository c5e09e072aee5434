package io.wsgate.config;

import org.springframework.web.cors.CorsConfiguration;

/**
 * Everything wsgate reads from one route's {@code metadata:}, validated, with the {@code wsgate.*} defaults filled in
 * where the route sets nothing. Built by {@link RouteSettingsParser}, once per version of a route
 * ({@link RouteSettingsCache}); the keys and their values are listed in the README.
 *
 * @param routeId the route
 * @param session the limits and timers of the route's sessions
 * @param maxSessions most sessions open at once on the route; 0 for no limit
 * @param maxSessionsPerClient most sessions one client (see {@code clientKey}) holds open at once on the route; 0 for no limit
 * @param handshakeRate handshakes per client (see {@code clientKey}); {@code null} for no limit
 * @param allowedOrigins the allowed origin patterns, checked as CORS checks them
 * @param compression permessage-deflate on this route
 * @param frameLog the frame log on for this route's sessions
 * @param healthPath the backend path route health probes; {@code null}: the path of the route's uri
 * @param onRouteRemoved what a reload that removes this route does to its open sessions
 * @param onUriChanged what a reload that gives this route another uri does to its open sessions
 * @param balancing how an {@code lb:} route picks an instance for a new session
 * @param auth the token its handshakes need, if any
 * @param clientKey what a client is for {@code maxSessionsPerClient} and {@code handshakeRate}: its address or a
 *     token claim
 */
public record RouteSettings(
        String routeId,
        RoutePolicy session,
        int maxSessions,
        int maxSessionsPerClient,
        HandshakeRate handshakeRate,
        CorsConfiguration allowedOrigins,
        boolean compression,
        boolean frameLog,
        String healthPath,
        OpenSessionsPolicy onRouteRemoved,
        OpenSessionsPolicy onUriChanged,
        Balancing balancing,
        RouteAuth auth,
        ClientKey clientKey) {

    /** Whether a request with this Origin header may open a session; no Origin (not a browser) always may. */
    public boolean allowsOrigin(String origin) {
        return origin == null || this.allowedOrigins.checkOrigin(origin) != null;
    }
}
