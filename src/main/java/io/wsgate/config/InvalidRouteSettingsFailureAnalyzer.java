package io.wsgate.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Start-up stopped by a route's metadata: Spring Boot's failure report says which route, key and value. */
class InvalidRouteSettingsFailureAnalyzer extends AbstractFailureAnalyzer<InvalidRouteSettingsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidRouteSettingsException cause) {
        return new FailureAnalysis(
                "Invalid route metadata: " + cause.getMessage(),
                "Correct the value of '" + cause.getKey() + "' in the metadata of route '" + cause.getRouteId()
                        + "' (the route metadata keys are listed in the README).",
                cause);
    }
}
