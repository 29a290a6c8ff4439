package dev.tracing.instrument.webflux;

import java.util.List;

import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the server filter shows of itself to Spring's filter chain. */
class TraceWebFilterTests {

    @Test
    void describesItselfWithOneConstantString() {
        // Spring's DefaultWebFilterChain asks every filter for toString() on every request, to
        // describe its checkpoint: Object.toString() would build a new string (class name and
        // hash) each time
        TraceWebFilter filter = new TraceWebFilter(Tracing.newBuilder().build(), null,
                HttpSpanPolicy.builder().build());

        assertThat(filter.toString()).isEqualTo("TraceWebFilter").isSameAs(filter.toString());
    }

}
