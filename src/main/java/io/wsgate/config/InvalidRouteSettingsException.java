package io.wsgate.config;

/**
 * A route's metadata has a value wsgate cannot use. The message names the route, the key and the value, for the one
 * log line that says why the application did not start, why a route file was rejected, or why a handshake got 500.
 */
public class InvalidRouteSettingsException extends IllegalArgumentException {

    private final String routeId;

    private final String key;

    private final Object value;

    InvalidRouteSettingsException(String routeId, String key, Object value, String expected, Throwable cause) {
        super("route '" + routeId + "': metadata " + key + ": '" + value + "' is not " + expected, cause);
        this.routeId = routeId;
        this.key = key;
        this.value = value;
    }

    public String getRouteId() {
        return this.routeId;
    }

    public String getKey() {
        return this.key;
    }

    public Object getValue() {
        return this.value;
    }
}
