package io.wsgate.vocabulary;

/** Which way a message travels through the gateway; the {@code direction} tag. */
public enum Direction {
    CLIENT_TO_BACKEND("client-to-backend"),
    BACKEND_TO_CLIENT("backend-to-client");

    private final String tag;

    Direction(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return this.tag;
    }

    /** The leg whose peer sends the messages that travel this way. */
    public Leg sender() {
        return this == CLIENT_TO_BACKEND ? Leg.CLIENT : Leg.BACKEND;
    }
}
