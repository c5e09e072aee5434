package io.wsgate.session;

import io.wsgate.vocabulary.Direction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.web.reactive.socket.WebSocketMessage;

/**
 * The opt-in per-route frame log for protocol debugging: one line per relayed message with direction, type,
 * size and the payload truncated to a bound, on the {@code wsgate.frames} logger. Turned on by the route's
 * {@code frame-log: true} metadata.
 */
public final class FrameLog {

    static final String LOGGER_NAME = "wsgate.frames";

    private static final Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

    static final FrameLog OFF = new FrameLog(false, 0);

    private final boolean enabled;

    private final int maxPayloadBytes;

    private FrameLog(boolean enabled, int maxPayloadBytes) {
        this.enabled = enabled;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    public static FrameLog of(boolean enabled, int maxPayloadBytes) {
        return enabled ? new FrameLog(true, maxPayloadBytes) : OFF;
    }

    void log(ProxiedSession session, Direction direction, WebSocketMessage message) {
        if (!this.enabled || !logger.isInfoEnabled()) {
            return;
        }
        DataBuffer payload = message.getPayload();
        int size = payload.readableByteCount();
        byte[] shown = new byte[Math.min(size, this.maxPayloadBytes)];
        // Reads at an absolute index: the buffer's read position stays where the relay needs it.
        for (int i = 0; i < shown.length; i++) {
            shown[i] = payload.getByte(payload.readPosition() + i);
        }
        String text = message.getType() == WebSocketMessage.Type.TEXT
                ? '"' + new String(shown, StandardCharsets.UTF_8) + '"'
                : HexFormat.of().formatHex(shown);
        logger.info(
                "route={} client={} {} {} {}B {}{}",
                session.routeId(),
                SessionLog.address(session.clientAddress()),
                direction.tag(),
                message.getType().name().toLowerCase(Locale.ROOT),
                size,
                text,
                shown.length < size ? "..." : "");
    }
}
