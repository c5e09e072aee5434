package io.wsgate.admin;

import io.wsgate.config.RedactedUri;
import io.wsgate.session.ProxiedSession;
import io.wsgate.session.SessionLog;
import io.wsgate.vocabulary.Direction;
import io.wsgate.vocabulary.Leg;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/** One open session as the management endpoint shows it. */
public record SessionView(
        String id,
        String route,
        String client,
        String backend,
        Instant openedAt,
        long ageSeconds,
        Traffic clientToBackend,
        Traffic backendToClient,
        String subprotocol,
        Compression compression) {

    /** Messages (text, binary, ping, pong) and their payload bytes relayed one way. */
    public record Traffic(long messages, long bytes) {}

    /** Whether permessage-deflate runs on each leg. */
    public record Compression(boolean client, boolean backend) {}

    static SessionView of(ProxiedSession session, Instant now) {
        return new SessionView(
                session.id(),
                session.routeId(),
                SessionLog.address(session.clientAddress()),
                backend(session),
                session.openedAt(),
                Duration.between(session.openedAt(), now).toSeconds(),
                traffic(session, Direction.CLIENT_TO_BACKEND),
                traffic(session, Direction.BACKEND_TO_CLIENT),
                session.subprotocol(),
                new Compression(session.compressed(Leg.CLIENT), session.compressed(Leg.BACKEND)));
    }

    /** The backend instance: scheme, host and port, without user info, path or query. */
    static String backend(ProxiedSession session) {
        URI uri = session.backendUri();
        if (uri == null || uri.getHost() == null) {
            return RedactedUri.of(uri);
        }
        String host = uri.getHost().contains(":") && !uri.getHost().startsWith("[")
                ? "[" + uri.getHost() + "]"
                : uri.getHost();
        return uri.getScheme() + "://" + host + ":" + session.backendPort();
    }

    private static Traffic traffic(ProxiedSession session, Direction direction) {
        return new Traffic(session.messages(direction), session.bytes(direction));
    }
}
