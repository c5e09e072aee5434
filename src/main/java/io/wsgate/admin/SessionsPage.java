package io.wsgate.admin;

import java.util.List;
import java.util.Map;

/**
 * A page of the open sessions that match a filter, oldest first, with the counts of all open sessions per route
 * and per backend instance.
 */
public record SessionsPage(
        long open,
        long matching,
        int page,
        int size,
        List<SessionView> sessions,
        Map<String, Long> byRoute,
        Map<String, Long> byBackend) {}
