package dev.tracing.instrument.web;

import java.net.URI;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.mock.http.client.MockClientHttpRequest;
import org.springframework.mock.http.client.MockClientHttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** A request whose trace headers cannot be written goes out without a span, and leaves none open. */
class TraceClientHttpRequestInterceptorTests {

    private final TraceTracer tracer = Tracing.newBuilder().build();

    private final Propagator failing = new Propagator() {
        @Override
        public List<String> fields() {
            return List.of("traceparent");
        }

        @Override
        public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
            throw new IllegalStateException("cannot write");
        }

        @Override
        public <C> Span.Builder extract(C carrier, Getter<C> getter) {
            return tracer.spanBuilder();
        }
    };

    @Test
    void aRequestWhoseHeadersCannotBeWrittenGoesOutAndLeavesNoSpanOpen() throws Exception {
        TraceClientHttpRequestInterceptor interceptor = new TraceClientHttpRequestInterceptor(tracer, failing,
                HttpSpanPolicy.builder().build());
        MockClientHttpRequest request = new MockClientHttpRequest(HttpMethod.GET, URI.create("http://localhost/orders"));
        ClientHttpResponse response = interceptor.intercept(request, new byte[0],
                (sent, body) -> new MockClientHttpResponse(new byte[0], HttpStatus.OK));
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(tracer.openSpanCount()).isZero();
    }

}
