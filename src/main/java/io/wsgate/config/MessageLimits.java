package io.wsgate.config;

import io.wsgate.vocabulary.Direction;

/**
 * How many messages and bytes one session may send each way ({@code null}: no limit), and what happens past them.
 */
public record MessageLimits(
        MessageRate messagesClientToBackend,
        MessageRate bytesClientToBackend,
        MessageRate messagesBackendToClient,
        MessageRate bytesBackendToClient,
        Action action) {

    public static final MessageLimits NONE = new MessageLimits(null, null, null, null, Action.THROTTLE);

    /** What a session's leg gets when it sends past its limit. */
    public enum Action {
        /** Its messages wait until the bucket allows them: the gateway stops reading that leg (TCP backpressure). */
        THROTTLE,
        /** The sender gets 1008 "rate limit exceeded", the other leg 1001. */
        CLOSE
    }

    public MessageRate messages(Direction direction) {
        return direction == Direction.CLIENT_TO_BACKEND ? this.messagesClientToBackend : this.messagesBackendToClient;
    }

    public MessageRate bytes(Direction direction) {
        return direction == Direction.CLIENT_TO_BACKEND ? this.bytesClientToBackend : this.bytesBackendToClient;
    }

    /** Whether {@code direction} has a limit. */
    public boolean limits(Direction direction) {
        return messages(direction) != null || bytes(direction) != null;
    }
}
