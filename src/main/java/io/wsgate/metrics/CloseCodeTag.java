package io.wsgate.metrics;

/**
 * The {@code close.code} tag: the standard codes by number, the registered (3000-3999) and private
 * (4000-4999) ranges as one value each, so the tag keeps a small fixed set of values.
 */
final class CloseCodeTag {

    private CloseCodeTag() {}

    static String of(int code) {
        if (code >= 1000 && code <= 1015) {
            return Integer.toString(code);
        }
        if (code >= 3000 && code <= 3999) {
            return "3xxx";
        }
        if (code >= 4000 && code <= 4999) {
            return "4xxx";
        }
        return "other";
    }
}
