package io.wsgate.session;

import io.wsgate.config.RedactedUri;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.Leg;
import java.net.InetSocketAddress;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * The session log on the {@code wsgate.session} logger, the successor of httpd's {@code LogLevel debug}: one
 * INFO line per finished session, DEBUG lines at each step of the handshake and close.
 */
public final class SessionLog {

    public static final String LOGGER_NAME = "wsgate.session";

    private static final Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

    private SessionLog() {}

    public static void routeMatched(String routeId, InetSocketAddress client, URI backendUri) {
        if (logger.isDebugEnabled()) {
            logger.debug("route={} client={} matched, backend={}", routeId, address(client), safe(backendUri));
        }
    }

    public static void backendHandshakeSent(
            String routeId, InetSocketAddress client, URI backendUri, Object protocols) {
        if (logger.isDebugEnabled()) {
            logger.debug(
                    "route={} client={} backend handshake sent to {} offering {}",
                    routeId,
                    address(client),
                    safe(backendUri),
                    protocols);
        }
    }

    public static void backendAnswered(String routeId, InetSocketAddress client, String protocol, long nanos) {
        if (logger.isDebugEnabled()) {
            logger.debug(
                    "route={} client={} backend answered 101 in {}ms with subprotocol {}",
                    routeId,
                    address(client),
                    nanos / 1_000_000,
                    protocol);
        }
    }

    static void clientUpgraded(ProxiedSession session) {
        if (logger.isDebugEnabled()) {
            logger.debug("route={} client={} upgraded", session.routeId(), address(session.clientAddress()));
        }
    }

    static void closeRelayed(ProxiedSession session, String from, int received, int sent) {
        if (logger.isDebugEnabled()) {
            logger.debug(
                    "route={} client={} {} closed with {}, relayed {}",
                    session.routeId(),
                    address(session.clientAddress()),
                    from,
                    received,
                    sent);
        }
    }

    static void closedByGateway(ProxiedSession session, GatewayClose close) {
        if (logger.isInfoEnabled()) {
            logger.info(
                    "route={} client={} closed by gateway: {} ({}), sent client {} backend {}",
                    session.routeId(),
                    address(session.clientAddress()),
                    close.reason().tag(),
                    close.detail(),
                    close.toClient().getCode(),
                    close.toBackend().getCode());
        }
    }

    /** The gateway failed a leg for an invalid frame (INFO: the operator sees why a session ended so). */
    static void legFailed(ProxiedSession session, Leg leg, CloseStatus status) {
        logger.info(
                "route={} client={} {} failed by the gateway with {}: {}",
                session.routeId(),
                address(session.clientAddress()),
                leg.tag(),
                status.getCode(),
                status.getReason());
    }

    static void finished(ProxiedSession session, SessionLifecycle.Ending close) {
        if (logger.isInfoEnabled()) {
            logger.info(
                    "route={} client={} backend={} duration={}ms client-to-backend={}msg/{}B"
                            + " backend-to-client={}msg/{}B close={} closed-by={}",
                    session.routeId(),
                    address(session.clientAddress()),
                    safe(session.backendUri()),
                    session.lasted().toMillis(),
                    session.messages(Direction.CLIENT_TO_BACKEND),
                    session.bytes(Direction.CLIENT_TO_BACKEND),
                    session.messages(Direction.BACKEND_TO_CLIENT),
                    session.bytes(Direction.BACKEND_TO_CLIENT),
                    close.code(),
                    close.closedBy().tag());
        }
    }

    public static String address(InetSocketAddress address) {
        if (address == null) {
            return "-";
        }
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return host + ":" + address.getPort();
    }

    /** The backend URI without userinfo and query, which may carry credentials. */
    public static String safe(URI uri) {
        return RedactedUri.of(uri);
    }
}
