package io.wsgate.proxy;

import org.springframework.web.reactive.socket.CloseStatus;

/**
 * Which close status one leg of a proxied session gets when the other leg closed. A code the peer may
 * legally send (RFC 6455 section 7.4 and the IANA registry: 1000-1003, 1007-1014, 3000-4999) passes with
 * its reason; the codes that only describe a missing close frame are translated.
 */
final class CloseCodes {

    /** The backend leg ended without a close frame: the client hears of an unexpected condition. */
    static final CloseStatus BACKEND_LOST = new CloseStatus(1011, "backend connection lost");

    /** The client leg ended without a close frame: the backend hears the client went away. */
    static final CloseStatus CLIENT_LOST = new CloseStatus(1001, "client went away");

    private CloseCodes() {}

    /**
     * What the backend hears when the gateway failed the client for an invalid frame: the client went away, and
     * why (the client's error code is not the backend's, so it is named in the reason only).
     */
    static CloseStatus clientFailed(CloseStatus sentToClient) {
        return new CloseStatus(
                CLIENT_LOST.getCode(),
                ClientFrameCheck.reason(
                        "client failed with " + sentToClient.getCode() + ": " + sentToClient.getReason()));
    }

    /** Whether {@code code} may be sent in a close frame. */
    static boolean isSendable(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    /**
     * The status to send on the other leg when one leg closed with {@code received} ({@code null} when it
     * ended without any close frame).
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
}
