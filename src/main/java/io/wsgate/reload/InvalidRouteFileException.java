package io.wsgate.reload;

/** A route file that cannot be applied; its message says why, for the log. */
class InvalidRouteFileException extends RuntimeException {

    InvalidRouteFileException(String message) {
        super(message);
    }

    InvalidRouteFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
