package dev.tracing.instrument.web;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import dev.tracing.propagation.W3cBaggageFormat;
import io.micrometer.tracing.exporter.FinishedSpan;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The servlet filter outside a server: what it does with requests a server would not produce. */
class TraceServletFilterTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final TraceServletFilter filter = new TraceServletFilter(tracer,
            new CompositePropagator(tracer, List.of(PropagationType.W3C.format()),
                    List.of(PropagationType.W3C.format()), new W3cBaggageFormat(List.of())),
            new HttpSpanPolicy(null, "", List.of()));

    @Test
    void aRequestWhosePathCannotBeReadIsServedWithoutASpan() throws Exception {
        // a request wrapper of some library that fails where the filter reads the path
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/orders") {
            @Override
            public String getRequestURI() {
                throw new IllegalStateException("wrapper bug");
            }
        };
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain() {
            @Override
            public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res) {
                ((HttpServletResponse) res).setStatus(204);
            }
        };
        filter.doFilter(request, response, chain);
        assertThat(response.getStatus()).isEqualTo(204);
        assertThat(spans).isEmpty();
    }

    @Test
    void aContextPathIsNotPartOfTheRecordedPath() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/shop/orders;jsessionid=S3CR3T");
        request.setContextPath("/shop");
        filter.doFilter(request, new MockHttpServletResponse(), new MockFilterChain());
        assertThat(spans).singleElement()
            .satisfies(span -> assertThat(span.getTags()).containsEntry("url.path", "/orders"));
    }

}
