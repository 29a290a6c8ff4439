package dev.tracing.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a refused {@code trace.*} value that can hold a credential as Spring Boot reports any
 * invalid property, without the value (Boot's own report of an invalid property prints it).
 */
final class InvalidHiddenPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidHiddenPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidHiddenPropertyException cause) {
        return new FailureAnalysis("Invalid value for configuration property '" + cause.property() + "' (not shown: it "
                + "can hold credentials): " + cause.reason(), "Review the value of the property with the given reason.",
                cause);
    }

}
