package dev.tracing.instrument.sampling;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import dev.tracing.core.RuleSampling;
import dev.tracing.core.Sampler;
import dev.tracing.internal.HttpTokens;
import io.micrometer.tracing.Span;

import org.springframework.http.server.PathContainer;
import org.springframework.util.ClassUtils;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Sampling rules for new traces, first match wins: a rule for requests matches on the request's
 * path (Spring {@link PathPattern} syntax: {@code /api/orders/**}, {@code /orders/{id}}) and,
 * when it names one, its method; a rule for messages matches on the destination (a Kafka topic).
 * The matching rule's sampler decides in place of the tracer's, for traces this process decides
 * (a decision that arrives with the request is kept, unless incoming decisions are not
 * respected); with no match, the tracer's sampler does.
 *
 * <p>Design notes: a rule holds its own sampler (its probability and its own rate limiter), so a
 * busy route spends its own budget. Matching costs nothing when there are no rules of a kind; a
 * path rule parses the path it is asked about. Only {@code PathPatterns} touches spring-web, so an
 * application without it (Kafka only) can still have destination rules.
 */
public final class SamplingRules {

    /** No rules: the tracer's sampler decides everything. */
    public static final SamplingRules NONE = new SamplingRules(List.of());

    private final List<Rule> requestRules = new ArrayList<>();

    private final List<Rule> destinationRules = new ArrayList<>();

    private SamplingRules(List<Rule> rules) {
        for (Rule rule : rules) {
            (rule.destination != null ? destinationRules : requestRules).add(rule);
        }
    }

    /** Returns a builder; rules are matched in the order they are added. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Lets the first request rule that matches decide a trace {@code builder} starts; does nothing
     * when none matches or the builder is not this tracer's.
     */
    public void applyToRequest(Span.Builder builder, String method, String path) {
        if (requestRules.isEmpty() || !(builder instanceof RuleSampling sampling)) {
            return;
        }
        for (Rule rule : requestRules) {
            if (rule.method != null && !rule.method.equals(method)) {
                continue;
            }
            if (rule.path != null && (path == null || !rule.path.test(path))) {
                continue;
            }
            sampling.sampledBy(rule.sampler, rule.name);
            return;
        }
    }

    /** Lets the first destination rule for {@code destination} decide a trace {@code builder} starts. */
    public void applyToDestination(Span.Builder builder, String destination) {
        if (destinationRules.isEmpty() || destination == null || !(builder instanceof RuleSampling sampling)) {
            return;
        }
        for (Rule rule : destinationRules) {
            if (rule.destination.equals(destination)) {
                sampling.sampledBy(rule.sampler, rule.name);
                return;
            }
        }
    }

    /** Whether {@code method} may be a rule's method: unset (any method) or an HTTP token. */
    public static boolean isMethod(String method) {
        if (isBlank(method)) {
            return true;
        }
        String trimmed = method.trim();
        return HttpTokens.isToken(trimmed, 0, trimmed.length());
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    /** Whether there are no rules at all. */
    public boolean isEmpty() {
        return requestRules.isEmpty() && destinationRules.isEmpty();
    }

    private static final class Rule {

        final String name;

        final Predicate<String> path;

        final String method;

        final String destination;

        final Sampler sampler;

        Rule(String name, Predicate<String> path, String method, String destination, Sampler sampler) {
            this.name = name;
            this.path = path;
            this.method = method;
            this.destination = destination;
            this.sampler = sampler;
        }

    }

    /** Collects rules in order. */
    public static final class Builder {

        private final List<Rule> rules = new ArrayList<>();

        private Builder() {
        }

        /**
         * Adds a rule for requests. At least one of {@code path} and {@code method} is needed.
         * @param name how traces this rule sampled are reported ({@code sampledBy})
         * @param path a {@link PathPattern}, or null for any path
         * @param method an HTTP method, or null for any
         * @throws IllegalArgumentException when the pattern does not parse, the method is not an
         * HTTP token, or neither is given
         */
        public Builder request(String name, String path, String method, Sampler sampler) {
            if (isBlank(path) && isBlank(method)) {
                throw new IllegalArgumentException("a rule needs a path, a method or a messaging destination");
            }
            if (!isMethod(method)) {
                throw new IllegalArgumentException("not an HTTP method: '" + method + "'");
            }
            String upper = isBlank(method) ? null : method.trim().toUpperCase(Locale.ROOT);
            Predicate<String> pattern = isBlank(path) ? null : PathPatterns.parse(path.trim());
            rules.add(new Rule(name, pattern, upper, null, sampler));
            return this;
        }

        /**
         * Adds a rule for messages when {@code destination} is set, else for requests.
         * @throws IllegalArgumentException when a rule names both a destination and a path or
         * method, or as {@link #request} and {@link #destination} refuse
         */
        public Builder rule(String name, String path, String method, String destination, Sampler sampler) {
            if (destination == null) {
                return request(name, path, method, sampler);
            }
            if (path != null || method != null) {
                throw new IllegalArgumentException("a rule matches either requests (path, method) or messages, not both");
            }
            return destination(name, destination, sampler);
        }

        /**
         * Adds a rule for messages sent to or received from {@code destination}.
         * @throws IllegalArgumentException when the destination is blank
         */
        public Builder destination(String name, String destination, Sampler sampler) {
            if (isBlank(destination)) {
                throw new IllegalArgumentException("must not be blank");
            }
            rules.add(new Rule(name, null, null, destination.trim(), sampler));
            return this;
        }

        public SamplingRules build() {
            return rules.isEmpty() ? NONE : new SamplingRules(rules);
        }

    }

    /** Parses path patterns; spring-web is only needed when a rule has a path. */
    private static final class PathPatterns {

        private static final boolean PRESENT = ClassUtils.isPresent(
                "org.springframework.web.util.pattern.PathPatternParser", SamplingRules.class.getClassLoader());

        static Predicate<String> parse(String pattern) {
            if (!PRESENT) {
                throw new IllegalArgumentException("path rules need spring-web on the classpath");
            }
            if (!pattern.startsWith("/")) {
                throw new IllegalArgumentException("a path pattern starts with '/', was '" + pattern + "'");
            }
            PathPattern parsed = PathPatternParser.defaultInstance.parse(pattern);
            return path -> parsed.matches(PathContainer.parsePath(path));
        }

    }

}
