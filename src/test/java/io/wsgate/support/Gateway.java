package io.wsgate.support;

import java.net.URI;
import java.time.Duration;

/** What the tests of a running gateway share: the bound of a wait and the gateway's WebSocket address. */
public final class Gateway {

    /** The bound of every wait in the tests: generous, as the machine may be busy. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Gateway() {}

    /** {@code ws://127.0.0.1:port} plus {@code path} (with its query, if any). */
    public static URI wsUri(int port, String path) {
        return URI.create("ws://127.0.0.1:" + port + path);
    }
}
