package io.wsgate.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP port free at the time of asking, for servers that must know their port before they start. Never the same
 * port twice in one test run: the kernel may hand a port just closed out again at once, and two servers given the
 * same port (a replica's traffic and management ports, seen in a HAProxy test) fail in confusing ways.
 */
public final class FreePorts {

    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    public static int next() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = anyFree();
            if (GIVEN.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no TCP port not handed out before in 100 attempts");
    }

    private static int anyFree() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
