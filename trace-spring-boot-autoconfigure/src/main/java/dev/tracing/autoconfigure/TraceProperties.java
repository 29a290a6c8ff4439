package dev.tracing.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.tracing.export.HttpSpanSender;
import dev.tracing.propagation.PropagationType;
import dev.tracing.propagation.W3cBaggageFormat;
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

    private final Web web = new Web();

    private final Reactor reactor = new Reactor();

    private final Kafka kafka = new Kafka();

    private final Annotations annotations = new Annotations();

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

    public Web getWeb() {
        return web;
    }

    public Reactor getReactor() {
        return reactor;
    }

    public Kafka getKafka() {
        return kafka;
    }

    public Annotations getAnnotations() {
        return annotations;
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
        String skipPattern = properties.getWeb().getServer().getSkipPattern();
        if (skipPattern != null) {
            try {
                java.util.regex.Pattern.compile(skipPattern);
            }
            catch (java.util.regex.PatternSyntaxException ex) {
                errors.rejectValue("web.server.skip-pattern", "pattern", "is not a valid regular expression: "
                        + ex.getDescription());
            }
        }
        // a name a server refuses would leave every request without its span
        String responseHeader = properties.getWeb().getServer().getResponseHeader();
        if (responseHeader != null && !responseHeader.isBlank() && !isHeaderName(responseHeader.trim())) {
            errors.rejectValue("web.server.response-header", "name", "is not a valid HTTP header name");
        }
        for (String name : properties.getWeb().getServer().getRecordHeaders()) {
            // an empty entry (a trailing comma, an empty placeholder) records nothing, as before
            if (name != null && !name.isBlank() && !isHeaderName(name.trim())) {
                errors.rejectValue("web.server.record-headers", "name", "must hold valid HTTP header names");
                break;
            }
        }
        Export export = properties.getExport();
        if (export.getMemory().getMaxSpans() <= 0) {
            errors.rejectValue("export.memory.max-spans", "range", "must be positive");
        }
        if (export.getMemory().getMaxTracesPerSecond() < 0) {
            errors.rejectValue("export.memory.max-traces-per-second", "range", "must not be negative (0 is no limit)");
        }
        rejectInvalidEndpoint(errors, "export.zipkin.endpoint", export.getZipkin().getEndpoint(),
                "http://localhost:9411/api/v2/spans");
        rejectInvalidEndpoint(errors, "export.otlp.endpoint", export.getOtlp().getEndpoint(),
                "http://localhost:4318/v1/traces");
        rejectInvalidHeaders(errors, "export.zipkin.headers", export.getZipkin().getHeaders());
        rejectInvalidHeaders(errors, "export.otlp.headers", export.getOtlp().getHeaders());
        Batch batch = export.getBatch();
        if (batch.getMaxQueueSize() <= 0) {
            errors.rejectValue("export.batch.max-queue-size", "range", "must be positive");
        }
        if (batch.getMaxBatchSize() <= 0) {
            errors.rejectValue("export.batch.max-batch-size", "range", "must be positive");
        }
        else if (batch.getMaxBatchSize() > batch.getMaxQueueSize() && batch.getMaxQueueSize() > 0) {
            errors.rejectValue("export.batch.max-batch-size", "range",
                    "must not exceed trace.export.batch.max-queue-size (" + batch.getMaxQueueSize() + ")");
        }
        if (batch.getScheduleDelay() == null || batch.getScheduleDelay().isNegative()) {
            errors.rejectValue("export.batch.schedule-delay", "range", "must be zero or positive");
        }
        if (batch.getTimeout() == null || batch.getTimeout().isNegative() || batch.getTimeout().isZero()
                || batch.getTimeout().toMillis() > Integer.MAX_VALUE) {
            errors.rejectValue("export.batch.timeout", "range", "must be positive");
        }
    }

    private static boolean isHeaderName(String name) {
        return W3cBaggageFormat.isToken(name, 0, name.length());
    }

    private static void rejectInvalidHeaders(Errors errors, String property, Map<String, String> headers) {
        headers.forEach((name, value) -> {
            String problem = HttpSpanSender.headerProblem(name, value);
            if (problem != null) {
                // not rejectValue: a field error would carry the headers' values, which are credentials
                errors.reject("header", "trace." + property + ": " + problem);
            }
        });
    }

    private static void rejectInvalidEndpoint(Errors errors, String field, String endpoint, String example) {
        if (endpoint == null || endpoint.isBlank()) {
            return;
        }
        try {
            java.net.URI uri = new java.net.URI(endpoint.trim());
            // a host with an underscore (a docker-compose service name) is no server-based authority to
            // java.net.URI, but HttpURLConnection reaches it
            boolean hasHost = uri.getHost() != null || (uri.getAuthority() != null && !uri.getAuthority().isBlank());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || !hasHost) {
                errors.rejectValue(field, "url", "must be an http or https URL with a host, e.g. " + example);
            }
            else if (uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath())) {
                // a collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it: every export would be refused
                errors.rejectValue(field, "url", "must be the URL that spans are posted to, with its path, e.g. "
                        + example);
            }
        }
        catch (java.net.URISyntaxException ex) {
            errors.rejectValue(field, "url", "is not a valid URL: " + ex.getReason());
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

        private final Zipkin zipkin = new Zipkin();

        private final Otlp otlp = new Otlp();

        private final Logging logging = new Logging();

        private final Batch batch = new Batch();

        public Memory getMemory() {
            return memory;
        }

        public Zipkin getZipkin() {
            return zipkin;
        }

        public Otlp getOtlp() {
            return otlp;
        }

        public Logging getLogging() {
            return logging;
        }

        public Batch getBatch() {
            return batch;
        }

    }

    /** Export to a Zipkin server. */
    public static class Zipkin {

        /**
         * Zipkin's span endpoint, the full URL with its path, e.g.
         * 'http://localhost:9411/api/v2/spans'. Spans are POSTed there as Zipkin v2 JSON. Empty: no
         * Zipkin export.
         */
        private String endpoint = "";

        /**
         * Headers added to every Zipkin request, e.g. 'Authorization: Bearer ...' for a Zipkin
         * behind an authenticating proxy. Their values are never logged.
         */
        private Map<String, String> headers = new LinkedHashMap<>();

        public String getEndpoint() {
            return endpoint;
        }

        public void setEndpoint(String endpoint) {
            this.endpoint = endpoint;
        }

        public Map<String, String> getHeaders() {
            return headers;
        }

        public void setHeaders(Map<String, String> headers) {
            this.headers = headers;
        }

    }

    /** Export over OTLP/HTTP, to an OpenTelemetry Collector, Jaeger, Tempo or any OTLP backend. */
    public static class Otlp {

        /**
         * OTLP/HTTP traces endpoint, the full URL with its path, e.g.
         * 'http://localhost:4318/v1/traces' (not the collector's base URL). Spans are POSTed there
         * as protobuf. Empty: no OTLP export.
         */
        private String endpoint = "";

        /**
         * Headers added to every OTLP request, e.g. 'Authorization: Bearer ...' or a hosted
         * backend's API key header. Their values are never logged.
         */
        private Map<String, String> headers = new LinkedHashMap<>();

        public String getEndpoint() {
            return endpoint;
        }

        public void setEndpoint(String endpoint) {
            this.endpoint = endpoint;
        }

        public Map<String, String> getHeaders() {
            return headers;
        }

        public void setHeaders(Map<String, String> headers) {
            this.headers = headers;
        }

    }

    /** Export as log lines. */
    public static class Logging {

        /**
         * Whether each finished span is written as one JSON line (Zipkin v2 format) at INFO on the
         * 'dev.tracing.spans' logger.
         */
        private boolean enabled = false;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

    }

    /** How spans reach the exporters: a bounded queue drained by one background thread. */
    public static class Batch {

        /**
         * Spans waiting for export at most, and for each application {@code SpanReporter}; when
         * full, further spans are dropped and counted.
         */
        private int maxQueueSize = 10000;

        /** Spans sent in one request at most. */
        private int maxBatchSize = 512;

        /** How long the first queued span waits for a batch to fill before it is sent. */
        private Duration scheduleDelay = Duration.ofSeconds(1);

        /**
         * Time allowed for one export (HTTP connect and read, each) and for sending what is queued
         * at shutdown. A batch that fails or times out is dropped and counted.
         */
        private Duration timeout = Duration.ofSeconds(10);

        public int getMaxQueueSize() {
            return maxQueueSize;
        }

        public void setMaxQueueSize(int maxQueueSize) {
            this.maxQueueSize = maxQueueSize;
        }

        public int getMaxBatchSize() {
            return maxBatchSize;
        }

        public void setMaxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
        }

        public Duration getScheduleDelay() {
            return scheduleDelay;
        }

        public void setScheduleDelay(Duration scheduleDelay) {
            this.scheduleDelay = scheduleDelay;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

    }

    /** The in-memory store of recent spans behind the 'traces' actuator endpoint. */
    public static class Memory {

        /** Whether recent spans are kept in memory. */
        private boolean enabled = true;

        /** Maximum number of spans kept; the oldest traces are evicted first. */
        private int maxSpans = 10000;

        /**
         * Maximum number of new traces kept per second; the others are not kept in memory (they are
         * still exported). 0 for no limit. A limit keeps a busy service's store a sample over time
         * rather than its last fraction of a second, which the garbage collector would copy on every
         * young collection.
         */
        private int maxTracesPerSecond = 100;

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

        public int getMaxTracesPerSecond() {
            return maxTracesPerSecond;
        }

        public void setMaxTracesPerSecond(int maxTracesPerSecond) {
            this.maxTracesPerSecond = maxTracesPerSecond;
        }

    }

    /** HTTP instrumentation. */
    public static class Web {

        private final Server server = new Server();

        private final Client client = new Client();

        /**
         * Whether query strings are recorded: as url.query on SERVER spans and in url.full on CLIENT
         * spans. Off by default, since query strings often carry tokens.
         */
        private boolean recordQuery = false;

        public boolean isRecordQuery() {
            return recordQuery;
        }

        public void setRecordQuery(boolean recordQuery) {
            this.recordQuery = recordQuery;
        }

        public Server getServer() {
            return server;
        }

        public Client getClient() {
            return client;
        }

    }

    /** The server side: a SERVER span per incoming request. */
    public static class Server {

        /** Whether incoming requests (WebFlux and Spring MVC) get a SERVER span. */
        private boolean enabled = true;

        /**
         * Regular expression of request paths that get no span. Defaults to the actuator base
         * path, static resources and the favicon.
         */
        private String skipPattern;

        /**
         * Response header that carries the trace back to the caller; 'traceresponse' writes the
         * W3C format (00-traceid-spanid-flags), any other name the bare trace id. Empty means
         * off.
         */
        private String responseHeader = "";

        /**
         * Request headers recorded as 'http.request.header.<name>' tags. Credentials
         * (Authorization, Proxy-Authorization, Cookie, Set-Cookie) are never recorded.
         */
        private List<String> recordHeaders = new ArrayList<>();

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getSkipPattern() {
            return skipPattern;
        }

        public void setSkipPattern(String skipPattern) {
            this.skipPattern = skipPattern;
        }

        public String getResponseHeader() {
            return responseHeader;
        }

        public void setResponseHeader(String responseHeader) {
            this.responseHeader = responseHeader;
        }

        public List<String> getRecordHeaders() {
            return recordHeaders;
        }

        public void setRecordHeaders(List<String> recordHeaders) {
            this.recordHeaders = recordHeaders;
        }

    }

    /** The client side: a CLIENT span per outgoing request. */
    public static class Client {

        /** Whether outgoing requests (WebClient, RestTemplate, RestClient) get a CLIENT span. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

    }

    /** How the current span follows a reactive chain. */
    public static class Reactor {

        /**
         * 'auto': Reactor restores the current span (and the MDC) in every operator, so every log
         * line of a chain carries the trace. 'limited': only in handle/tap and the ReactorTracing
         * helper, the cheapest option.
         */
        private ContextPropagation contextPropagation = ContextPropagation.AUTO;

        public ContextPropagation getContextPropagation() {
            return contextPropagation;
        }

        public void setContextPropagation(ContextPropagation contextPropagation) {
            this.contextPropagation = contextPropagation;
        }

    }

    /** Kafka: trace headers on every record, PRODUCER and CONSUMER spans. */
    public static class Kafka {

        /**
         * Whether records sent through Spring's producer factories carry trace headers and get a
         * PRODUCER span, and listener containers get CONSUMER spans.
         */
        private boolean enabled = true;

        /**
         * Whether a batch listener also gets one CONSUMER span per record, a child of that
         * record's context, beside the batch span that links to every record.
         */
        private boolean batchRecordSpans = false;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isBatchRecordSpans() {
            return batchRecordSpans;
        }

        public void setBatchRecordSpans(boolean batchRecordSpans) {
            this.batchRecordSpans = batchRecordSpans;
        }

    }

    /** Micrometer Tracing's @NewSpan, @ContinueSpan and @SpanTag annotations. */
    public static class Annotations {

        /** Whether @NewSpan and @ContinueSpan methods get spans, when AspectJ is on the classpath. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

    }

    /** How far Reactor restores the current span. */
    public enum ContextPropagation {

        /** In every operator. */
        AUTO,

        /** In handle/tap and the ReactorTracing helper only. */
        LIMITED

    }

}
