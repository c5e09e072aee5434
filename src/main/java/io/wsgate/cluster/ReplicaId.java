package io.wsgate.cluster;

import java.security.SecureRandom;
import java.util.HexFormat;

/** This replica's name in the shared store: its host name (a pod's name) and a random part, new at each start. */
final class ReplicaId {

    private ReplicaId() {}

    static String generate() {
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        String host = System.getenv("HOSTNAME");
        String suffix = HexFormat.of().formatHex(random);
        return host != null && !host.isBlank() ? host.trim() + "-" + suffix : suffix;
    }
}
