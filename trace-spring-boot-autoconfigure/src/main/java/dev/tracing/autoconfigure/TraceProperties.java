package dev.tracing.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Whether the starter traces at all, and as which service. The other concerns have their own
 * properties: {@link TraceSamplingProperties}, {@link TracePropagationProperties},
 * {@link TraceBaggageProperties}, {@link TraceWebProperties}, {@link TraceReactorProperties},
 * {@link TraceKafkaProperties}, {@link TraceGrpcProperties}, {@link TraceSpanLimitsProperties},
 * {@link TraceAnnotationsProperties}, {@link TraceExportProperties}, {@link TraceZipkinProperties}
 * and {@link TraceOtlpProperties}.
 *
 * <p>Values are checked by the builders they are handed to (trace-core's, and the HTTP span
 * policy's), when the setting is in use; a value a builder refuses fails start-up naming the
 * property, with the value unless it can hold credentials (endpoints and headers).
 */
@ConfigurationProperties("trace")
public class TraceProperties {

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

}
