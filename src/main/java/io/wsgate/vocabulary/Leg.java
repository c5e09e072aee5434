package io.wsgate.vocabulary;

/** One of the two connections of a proxied session, and the peer at its far end. */
public enum Leg {
    /** The connection from the client to the gateway. */
    CLIENT("client"),
    /** The connection from the gateway to the backend. */
    BACKEND("backend");

    private final String tag;

    Leg(String tag) {
        this.tag = tag;
    }

    public Leg other() {
        return this == CLIENT ? BACKEND : CLIENT;
    }

    /** This leg's peer as the side that closed a session first. */
    public ClosedBy closedBy() {
        return this == CLIENT ? ClosedBy.CLIENT : ClosedBy.BACKEND;
    }

    /** The direction of the messages this leg's peer sends. */
    public Direction sends() {
        return this == CLIENT ? Direction.CLIENT_TO_BACKEND : Direction.BACKEND_TO_CLIENT;
    }

    /** The {@code peer} tag value. */
    public String tag() {
        return this.tag;
    }
}
