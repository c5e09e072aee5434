package io.wsgate.config;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A configured backend URI as health details and logs show it: scheme, host, port and path only. Userinfo
 * ({@code ws://user:password@host}) and the query ({@code ?token=...}) may carry credentials, so they are
 * dropped, as is the fragment: {@code ws://user:pw@host:8088/x?token=s} is shown as {@code ws://host:8088/x}.
 */
public final class RedactedUri {

    private RedactedUri() {}

    /** The URI without userinfo, query and fragment; {@code -} for null. */
    public static String of(URI uri) {
        if (uri == null) {
            return "-";
        }
        if (uri.isOpaque()) {
            // lb:ws://service/path: the scheme-specific part is itself a URI.
            try {
                return uri.getScheme() + ":" + of(new URI(uri.getRawSchemeSpecificPart()));
            } catch (URISyntaxException ex) {
                return uri.getScheme() + ":...";
            }
        }
        StringBuilder shown = new StringBuilder();
        if (uri.getScheme() != null) {
            shown.append(uri.getScheme()).append(':');
        }
        String authority = uri.getRawAuthority();
        if (authority != null) {
            // The last '@' ends the userinfo (a password may contain an unencoded one in a registry authority).
            shown.append("//").append(authority.substring(authority.lastIndexOf('@') + 1));
        }
        if (uri.getRawPath() != null) {
            shown.append(uri.getRawPath());
        }
        return shown.toString();
    }
}
