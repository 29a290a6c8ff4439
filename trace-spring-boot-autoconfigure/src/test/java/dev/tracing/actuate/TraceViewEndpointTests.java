package dev.tracing.actuate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the page looks for the traces endpoint under path mappings (served pages: the HTTP tests). */
class TraceViewEndpointTests {

    @Test
    void theTracesEndpointIsFoundFromThePagesDirectory() {
        assertThat(TraceViewEndpoint.relativePath("traceview", "traces")).isEqualTo("traces");
        assertThat(TraceViewEndpoint.relativePath("traceview", "history")).isEqualTo("history");
        assertThat(TraceViewEndpoint.relativePath("ui/traces", "history")).isEqualTo("../history");
        assertThat(TraceViewEndpoint.relativePath("/a/b/view/", "/data/traces/")).isEqualTo("../../data/traces");
    }

    @Test
    void withoutMappingsThePageIsServedAsItIs() {
        assertThat(new TraceViewEndpoint().page(null)).contains("var TRACES = 'traces';")
            .contains("href=\"traces\"");
    }

}
