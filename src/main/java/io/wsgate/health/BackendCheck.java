package io.wsgate.health;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/** The result of one probe of one backend. {@code error} is null when it was up. */
record BackendCheck(URI backend, boolean up, Duration latency, Instant checkedAt, String error) {

    static BackendCheck up(URI backend, Duration latency, Instant checkedAt) {
        return new BackendCheck(backend, true, latency, checkedAt, null);
    }

    static BackendCheck down(URI backend, Duration latency, Instant checkedAt, String error) {
        return new BackendCheck(backend, false, latency, checkedAt, error);
    }
}
