package io.wsgate.session;

import java.nio.charset.StandardCharsets;
import org.springframework.web.reactive.socket.CloseStatus;

/**
 * Which close status a leg of a proxied session gets. A code a peer may legally send (RFC 6455 section 7.4 and the
 * IANA registry: 1000-1003, 1007-1014, 3000-4999) passes with its reason; the codes that only describe a missing
 * close frame (1005, 1006, 1015) are never sent, they are translated.
 */
public final class CloseCodes {

    /** The backend leg ended without a close frame: the client hears of an unexpected condition. */
    static final CloseStatus BACKEND_LOST = new CloseStatus(1011, "backend connection lost");

    /** The client leg ended without a close frame: the backend hears the client went away. */
    static final CloseStatus CLIENT_LOST = new CloseStatus(1001, "client went away");

    /** Longest close reason in bytes: a control frame's 125 minus the code. */
    private static final int MAX_REASON = 123;

    private CloseCodes() {}

    /**
     * What the backend hears when the gateway failed the client for an invalid frame: the client went away, and why
     * (the client's error code is not the backend's, so it is named in the reason only).
     */
    static CloseStatus clientFailed(CloseStatus sentToClient) {
        return new CloseStatus(
                CLIENT_LOST.getCode(),
                fit("client failed with " + sentToClient.getCode() + ": " + sentToClient.getReason()));
    }

    /** Whether {@code code} may be sent in a close frame. */
    public static boolean isSendable(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    /**
     * The status to send on the other leg when one leg closed with {@code received} ({@code null} when it ended
     * without any close frame).
     */
    static CloseStatus relayed(CloseStatus received, CloseStatus whenLost) {
        if (received == null || received.getCode() == CloseStatus.NO_CLOSE_FRAME.getCode()) {
            return whenLost;
        }
        if (received.getCode() == CloseStatus.NO_STATUS_CODE.getCode()) {
            // An empty close frame: a normal close that named no code.
            return CloseStatus.NORMAL;
        }
        return isSendable(received.getCode()) ? received : CloseStatus.PROTOCOL_ERROR;
    }

    /**
     * The answer to a peer that closed with {@code received}: its own status (RFC 6455 section 5.5.1), 1000 for an
     * empty close frame, 1002 for a code no endpoint may send.
     */
    static CloseStatus echoed(CloseStatus received) {
        return relayed(received, CloseStatus.NORMAL);
    }

    /** {@code message} cut to what fits a close frame's reason. */
    public static String fit(String message) {
        String reason = message;
        while (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON) {
            reason = reason.substring(0, reason.length() - 1);
        }
        return reason;
    }
}
