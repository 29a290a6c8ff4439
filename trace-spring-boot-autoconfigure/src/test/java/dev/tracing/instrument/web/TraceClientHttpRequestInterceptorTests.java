package dev.tracing.instrument.web;

import java.net.URI;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.testing.FailingPropagator;
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

    /** Writing the headers fails. */
    private final Propagator failing = new FailingPropagator(tracer);

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
