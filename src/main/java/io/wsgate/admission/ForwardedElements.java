package io.wsgate.admission;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the {@code for=} parameters of a {@code Forwarded} header line (RFC 7239): elements separated by commas,
 * parameters by semicolons, values a token or a quoted-string in which commas, semicolons and backslash-escaped
 * quotes are part of the value. A naive split at commas would let a client's quoted value hide or forge the
 * elements that the proxies append.
 */
final class ForwardedElements {

    /** Stands for an element whose sender cannot be traced: no {@code for=}, a repeated one, or a broken line. */
    static final String UNTRACEABLE = "";

    private ForwardedElements() {}

    /**
     * The {@code for=} value of each element of {@code line}, leftmost first and unquoted; {@link #UNTRACEABLE}
     * for an element without exactly one {@code for=}. A line that does not parse (an unterminated quote, a
     * parameter without {@code =}) is one untraceable element: what it says cannot be told apart from what the
     * client wrote. Empty elements ({@code "a, , b"}) are skipped, as HTTP lists allow.
     */
    static List<String> forValues(String line) {
        List<String> values = new ArrayList<>();
        int n = line.length();
        int i = 0;
        String forValue = null;
        int forCount = 0;
        boolean pairs = false;
        while (true) {
            i = skipSpaces(line, i);
            if (i < n && line.charAt(i) != ',' && line.charAt(i) != ';') {
                int nameStart = i;
                while (i < n && isTokenChar(line.charAt(i))) {
                    i++;
                }
                if (i == nameStart || i >= n || line.charAt(i) != '=') {
                    return List.of(UNTRACEABLE);
                }
                String name = line.substring(nameStart, i).toLowerCase(Locale.ROOT);
                i++;
                StringBuilder value = new StringBuilder();
                if (i < n && line.charAt(i) == '"') {
                    i = quotedString(line, i + 1, value);
                    if (i < 0) {
                        return List.of(UNTRACEABLE);
                    }
                } else {
                    int start = i;
                    // Leniently up to the next delimiter: nginx setups often write an IPv6 address unquoted.
                    while (i < n && !isDelimiter(line.charAt(i))) {
                        i++;
                    }
                    if (i == start) {
                        return List.of(UNTRACEABLE);
                    }
                    value.append(line, start, i);
                }
                pairs = true;
                if (name.equals("for")) {
                    forValue = value.toString();
                    forCount++;
                }
                i = skipSpaces(line, i);
            }
            if (i >= n || line.charAt(i) == ',') {
                if (pairs) {
                    values.add(forCount == 1 ? forValue : UNTRACEABLE);
                }
                if (i >= n) {
                    return values;
                }
                forValue = null;
                forCount = 0;
                pairs = false;
                i++;
            } else if (line.charAt(i) == ';') {
                i++;
            } else {
                return List.of(UNTRACEABLE);
            }
        }
    }

    /** Appends the quoted-string starting after its opening quote; returns the index after the closing one, or -1. */
    private static int quotedString(String line, int from, StringBuilder value) {
        int i = from;
        while (i < line.length()) {
            char c = line.charAt(i++);
            if (c == '"') {
                return i;
            }
            if (c == '\\') {
                if (i >= line.length()) {
                    return -1;
                }
                c = line.charAt(i++);
            }
            value.append(c);
        }
        return -1;
    }

    /** {@code s} as an RFC 7230 quoted-string: in quotes, with {@code "} and {@code \} escaped. */
    static String quoted(String s) {
        StringBuilder quoted = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\');
            }
            quoted.append(c);
        }
        return quoted.append('"').toString();
    }

    private static int skipSpaces(String line, int i) {
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static boolean isDelimiter(char c) {
        return c == ',' || c == ';' || c == '"' || c == ' ' || c == '\t';
    }

    /** RFC 7230 tchar. */
    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
