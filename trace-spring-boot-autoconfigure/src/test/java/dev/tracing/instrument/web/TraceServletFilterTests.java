package dev.tracing.instrument.web;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.MdcScopeDecorator;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.tracing.exporter.FinishedSpan;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The servlet filter outside a server: what it does with requests a server would not produce. */
class TraceServletFilterTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder()
        .currentTraceContext(new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of()))))
        .reporter(spans::add)
        .build();

    private final TraceServletFilter filter = new TraceServletFilter(tracer,
            CompositePropagator.builder(tracer)
                .consume(List.of(PropagationType.W3C))
                .produce(List.of(PropagationType.W3C))
                .build(),
            HttpSpanPolicy.builder().build());

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


    private static MockFilterChain failingChain() {
        return new MockFilterChain() {
            @Override
            public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res) {
                throw new IllegalStateException("handler failed");
            }
        };
    }

    @Test
    void aFailedRequestLeavesNoSpanCurrentWithoutAContainerHook() {
        assertThatIllegalStateException()
            .isThrownBy(() -> filter.doFilter(new MockHttpServletRequest("GET", "/orders"), new MockHttpServletResponse(),
                    failingChain()));
        assertThat(spans).singleElement().satisfies(span -> assertThat(span.getError()).hasMessage("handler failed"));
        assertThat(tracer.currentSpan()).isNull();
        assertThat(MDC.get("traceId")).isNull();
    }

    @Test
    void aFailedRequestStaysCurrentUntilTheContainerHookExits() {
        FailedRequestScope hook = FailedRequestScope.enter();
        try {
            assertThatIllegalStateException().isThrownBy(() -> filter
                .doFilter(new MockHttpServletRequest("GET", "/orders"), new MockHttpServletResponse(), failingChain()));
            // where the container logs the exception: the failed request's ids are still in the MDC
            FinishedSpan failed = spans.get(0);
            assertThat(failed.getTags()).containsEntry("http.response.status_code", "500");
            assertThat(MDC.get("traceId")).isEqualTo(failed.getTraceId());
            assertThat(MDC.get("spanId")).isEqualTo(failed.getSpanId());
        }
        finally {
            hook.exit();
        }
        assertThat(tracer.currentSpan()).isNull();
        assertThat(MDC.get("traceId")).isNull();
    }

    @Test
    void aRequestThatSucceedsInsideAContainerHookClosesItsScopeItself() throws Exception {
        FailedRequestScope hook = FailedRequestScope.enter();
        try {
            filter.doFilter(new MockHttpServletRequest("GET", "/orders"), new MockHttpServletResponse(),
                    new MockFilterChain());
            assertThat(spans).hasSize(1);
            assertThat(tracer.currentSpan()).isNull();
            assertThat(MDC.get("traceId")).isNull();
        }
        finally {
            hook.exit();
        }
    }
    @Test
    void anAsyncDispatchAfterTheSpanEndedMakesNoSpanCurrent() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/orders");
        request.setAsyncSupported(true);
        // the handler started async processing, then threw: the first dispatch ends the span
        assertThatIllegalStateException().isThrownBy(() -> filter.doFilter(request, new MockHttpServletResponse(),
                new MockFilterChain() {
                    @Override
                    public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res) {
                        req.startAsync();
                        throw new IllegalStateException("handler failed after starting async");
                    }
                }));
        assertThat(spans).hasSize(1);

        request.setDispatcherType(jakarta.servlet.DispatcherType.ASYNC);
        List<Object> current = new ArrayList<>();
        filter.doFilter(request, new MockHttpServletResponse(), new MockFilterChain() {
            @Override
            public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res) {
                current.add(String.valueOf(tracer.currentSpan()));
            }
        });
        assertThat(current).as("an ended span is never current again").containsExactly("null");
        assertThat(spans).hasSize(1);
    }

}
