package io.wsgate.session;

import io.wsgate.metrics.ClosedBy;

/** One of the two connections of a proxied session. */
public enum Leg {
    /** The connection from the client to the gateway. */
    CLIENT,
    /** The connection from the gateway to the backend. */
    BACKEND;

    Leg other() {
        return this == CLIENT ? BACKEND : CLIENT;
    }

    /** This leg as the side that closed a session first. */
    ClosedBy closedBy() {
        return this == CLIENT ? ClosedBy.CLIENT : ClosedBy.BACKEND;
    }

    String tag() {
        return this == CLIENT ? "client" : "backend";
    }
}
