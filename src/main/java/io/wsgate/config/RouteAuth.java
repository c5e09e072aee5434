package io.wsgate.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A route's handshake authentication, the {@code auth*} keys of its metadata (docs/auth.md).
 *
 * @param mode whether a token is required
 * @param scopes scopes the token must all carry (its {@code scope} or {@code scp} claim)
 * @param claims claim values the token must carry: a claim equal to the value, or a list claim containing it
 * @param tokenFrom where the token may come from
 * @param keepToken whether the backend still gets the token where the client sent it (never the subprotocol entry)
 * @param claimHeaders claim name to the header the backend gets its value in
 */
public record RouteAuth(
        AuthMode mode,
        Set<String> scopes,
        List<Map.Entry<String, String>> claims,
        Set<TokenSource> tokenFrom,
        boolean keepToken,
        Map<String, String> claimHeaders) {

    public boolean required() {
        return this.mode == AuthMode.JWT;
    }
}
