package dev.tracing.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Export to a Zipkin server. */
@ConfigurationProperties("trace.export.zipkin")
public class TraceZipkinProperties {

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
