package io.wsgate.vocabulary;

/** Which side ended a proxied session first; the {@code closed.by} tag. */
public enum ClosedBy {
    CLIENT,
    BACKEND,
    /** The gateway itself: a limit, a timeout or shutdown. */
    GATEWAY;

    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
