package dev.tracing.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Export over OTLP/HTTP, to an OpenTelemetry Collector, Jaeger, Tempo or any OTLP backend. */
@ConfigurationProperties("trace.export.otlp")
public class TraceOtlpProperties {

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
