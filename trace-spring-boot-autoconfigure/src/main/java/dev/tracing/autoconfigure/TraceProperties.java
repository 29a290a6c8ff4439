package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.propagation.PropagationType;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Configuration of the trace starter, bound to {@code trace.*}.
 *
 * <p>Values are checked once bound (the class is its own {@link Validator}, so no Bean
 * Validation provider is needed): an invalid one fails start-up with Spring Boot's report,
 * which names the property, the value and the reason.
 */
@ConfigurationProperties("trace")
public class TraceProperties implements Validator {

    /**
     * Whether tracing is on. When false, no tracer and no instrumentation of this starter are
     * registered.
     */
    private boolean enabled = true;

    /**
     * Service name recorded on every span. Defaults to 'spring.application.name', or
     * 'application' when that is not set either.
     */
    private String serviceName;

    private final Sampling sampling = new Sampling();

    private final Propagation propagation = new Propagation();

    private final Baggage baggage = new Baggage();

    private final Export export = new Export();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getServiceName() {
        return serviceName;
    }

    public void setServiceName(String serviceName) {
        this.serviceName = serviceName;
    }

    public Sampling getSampling() {
        return sampling;
    }

    public Propagation getPropagation() {
        return propagation;
    }

    public Baggage getBaggage() {
        return baggage;
    }

    public Export getExport() {
        return export;
    }

    @Override
    public boolean supports(Class<?> type) {
        return TraceProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        TraceProperties properties = (TraceProperties) target;
        double probability = properties.getSampling().getProbability();
        if (!(probability >= 0.0 && probability <= 1.0)) {
            errors.rejectValue("sampling.probability", "range", "must be between 0.0 and 1.0");
        }
        if (properties.getSampling().getRateLimit() < 0) {
            errors.rejectValue("sampling.rate-limit", "range", "must be 0 (no limit) or positive");
        }
        if (properties.getPropagation().getProduce().isEmpty()) {
            errors.rejectValue("propagation.produce", "empty", "must name at least one of w3c, b3, b3-multi");
        }
        if (properties.getPropagation().getConsume().isEmpty()) {
            errors.rejectValue("propagation.consume", "empty", "must name at least one of w3c, b3, b3-multi");
        }
        rejectBlankNames(errors, "baggage.remote-fields", properties.getBaggage().getRemoteFields());
        rejectBlankNames(errors, "baggage.correlation-fields", properties.getBaggage().getCorrelationFields());
        for (String name : properties.getBaggage().getCorrelationFields()) {
            if ("traceId".equals(name) || "spanId".equals(name)) {
                errors.rejectValue("baggage.correlation-fields", "reserved",
                        "must not name traceId or spanId: the MDC keys of the trace ids");
            }
        }
        if (properties.getExport().getMemory().getMaxSpans() <= 0) {
            errors.rejectValue("export.memory.max-spans", "range", "must be positive");
        }
    }

    private static void rejectBlankNames(Errors errors, String field, List<String> names) {
        for (String name : names) {
            if (name == null || name.isBlank()) {
                errors.rejectValue(field, "blank", "must not contain blank names");
                return;
            }
        }
    }

    /** Which new traces are recorded. */
    public static class Sampling {

        /**
         * Fraction of new root traces recorded, from 0.0 to 1.0. Decided from the trace id, so
         * every service with the same value agrees; a request that arrives with a decision keeps
         * it.
         */
        private double probability = 1.0;

        /**
         * Maximum number of new root traces recorded per second, after the probability; 0 means
         * no limit.
         */
        private int rateLimit = 100;

        public double getProbability() {
            return probability;
        }

        public void setProbability(double probability) {
            this.probability = probability;
        }

        public int getRateLimit() {
            return rateLimit;
        }

        public void setRateLimit(int rateLimit) {
            this.rateLimit = rateLimit;
        }

    }

    /** How the trace context crosses process boundaries. */
    public static class Propagation {

        /** Formats written into outgoing requests and messages: w3c, b3, b3-multi. */
        private List<PropagationType> produce = new ArrayList<>(List.of(PropagationType.W3C));

        /**
         * Formats read from incoming requests and messages, tried in this order: w3c, b3,
         * b3-multi.
         */
        private List<PropagationType> consume = new ArrayList<>(
                List.of(PropagationType.W3C, PropagationType.B3, PropagationType.B3_MULTI));

        public List<PropagationType> getProduce() {
            return produce;
        }

        public void setProduce(List<PropagationType> produce) {
            this.produce = produce;
        }

        public List<PropagationType> getConsume() {
            return consume;
        }

        public void setConsume(List<PropagationType> consume) {
            this.consume = consume;
        }

    }

    /** Baggage: key-value pairs that travel with the trace. */
    public static class Baggage {

        /**
         * Baggage names that cross process boundaries in the W3C 'baggage' header. Baggage with
         * any other name stays in this process, and incoming baggage with other names is
         * ignored.
         */
        private List<String> remoteFields = new ArrayList<>();

        /** Baggage names copied into the logging MDC while a span that carries them is current. */
        private List<String> correlationFields = new ArrayList<>();

        public List<String> getRemoteFields() {
            return remoteFields;
        }

        public void setRemoteFields(List<String> remoteFields) {
            this.remoteFields = remoteFields;
        }

        public List<String> getCorrelationFields() {
            return correlationFields;
        }

        public void setCorrelationFields(List<String> correlationFields) {
            this.correlationFields = correlationFields;
        }

    }

    /** Where finished spans go. */
    public static class Export {

        private final Memory memory = new Memory();

        public Memory getMemory() {
            return memory;
        }

    }

    /** The in-memory store of recent spans behind the 'traces' actuator endpoint. */
    public static class Memory {

        /** Whether recent spans are kept in memory. */
        private boolean enabled = true;

        /** Maximum number of spans kept; the oldest traces are evicted first. */
        private int maxSpans = 10000;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getMaxSpans() {
            return maxSpans;
        }

        public void setMaxSpans(int maxSpans) {
            this.maxSpans = maxSpans;
        }

    }

}
