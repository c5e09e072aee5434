package io.wsgate.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * What a client is for the per-client limits ({@code max-sessions-per-client}, {@code handshake-rate-per-client}):
 * its address, or a claim of the token its handshake carried ({@code wsgate.limits.client-key}, route metadata
 * {@code client-key}; docs/admission.md).
 *
 * @param claim the claim whose value keys the client; {@code null} to key by address
 */
public record ClientKey(String claim) {

    /** Every client by its address (an IPv6 one by its network). */
    public static final ClientKey ADDRESS = new ClientKey(null);

    private static final String CLAIM_PREFIX = "claim:";

    /**
     * {@code address} or {@code claim:<name>} (a claim name without white space, e.g. {@code claim:sub}).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static ClientKey parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        if (trimmed.isEmpty() || trimmed.equalsIgnoreCase("address")) {
            return ADDRESS;
        }
        if (trimmed.toLowerCase(Locale.ROOT).startsWith(CLAIM_PREFIX)) {
            String name = trimmed.substring(CLAIM_PREFIX.length()).trim();
            if (!name.isEmpty() && name.chars().noneMatch(Character::isWhitespace)) {
                return new ClientKey(name);
            }
        }
        throw new IllegalArgumentException("'" + text + "' is neither address nor claim:<name>");
    }

    /** Whether clients are keyed by a token claim (with the address where there is none). */
    public boolean byClaim() {
        return this.claim != null;
    }

    /**
     * The key of a client whose verified token carries {@code value} in this key's claim: {@code claim.} and the
     * first 128 bits of the SHA-256 of the claim's name and value, in hex. Fixed length, no separator a store key
     * could trip on, never the identifier itself, and never equal to an address's key.
     */
    public String keyOf(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((this.claim + "\0" + value).getBytes(StandardCharsets.UTF_8));
            return "claim." + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex); // every JVM has SHA-256
        }
    }

    @Override
    public String toString() {
        return this.claim == null ? "address" : CLAIM_PREFIX + this.claim;
    }
}
