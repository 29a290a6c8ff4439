package dev.tracing.instrument.web;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.filter.OncePerRequestFilter;

import static dev.tracing.testing.TraceAssertions.awaitTrace;
import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dispatches after a request's first one, where Spring Security's filter chain, say, runs again
 * and starts its Observations: the error page of a traced request runs in its SERVER span's context,
 * and the async and error dispatches of a request the skip pattern leaves out in the same unsampled
 * context as its first dispatch. In none, each of those Observations would start a trace of its own.
 */
@SpringBootTest(classes = LaterDispatchesWebMvcTests.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "trace.web.server.skip-pattern=/skipped/.*",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class LaterDispatchesWebMvcTests {

    @LocalServerPort
    int port;

    @Autowired
    App app;

    @Autowired
    InMemorySpanStore store;

    @BeforeEach
    void forgetDispatches() {
        app.seen.clear();
    }

    @Test
    void theErrorPageOfATracedRequestRunsInItsServerSpan() throws Exception {
        String traceId = "6af7651916cd43dd8448eb211c80319c";
        HttpResponse<String> response = TraceAssertions.get(port, "/missing", "traceparent",
                "00-" + traceId + "-b7ad6b7169203331-01");
        assertThat(response.statusCode()).isEqualTo(404);
        FinishedSpan server = awaitTrace(store, traceId, 1).get(0);
        assertThat(server.getKind()).isEqualTo(Span.Kind.SERVER);
        assertThat(app.seen).containsExactly("REQUEST " + traceId + "/" + server.getSpanId() + "/true",
                "ERROR " + traceId + "/" + server.getSpanId() + "/true");
    }

    @Test
    void theErrorPageOfASkippedRequestRunsInItsUnsampledContext() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/skipped/missing");
        assertThat(response.statusCode()).isEqualTo(404);
        List<String> seen = app.seen;
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).startsWith("REQUEST ").doesNotEndWith("none").endsWith("/false");
        assertThat(seen.get(1)).isEqualTo(seen.get(0).replace("REQUEST", "ERROR"));
    }

    @Test
    void theErrorPageOfARequestTomcatRefusedBeforeAnyFilterRunsUnsampled() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/WEB-INF/web.xml");
        assertThat(response.statusCode()).isEqualTo(404);
        // no first dispatch through the filters: only the error page
        assertThat(app.seen).singleElement(as(InstanceOfAssertFactories.STRING))
            .startsWith("ERROR ")
            .endsWith("/false");
    }

    @Test
    void theAsyncDispatchOfASkippedRequestRunsInItsUnsampledContext() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/skipped/callable", "traceparent",
                "00-5af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> seen = app.seen;
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).startsWith("REQUEST ").doesNotEndWith("none").doesNotContain("5af76519");
        // the same context, trace and span, in both dispatches, and not sampled
        assertThat(seen.get(1)).isEqualTo(seen.get(0).replace("REQUEST", "ASYNC")).endsWith("/false");
        assertThat(response.body()).isEqualTo(seen.get(0).substring("REQUEST ".length()));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        final List<String> seen = new CopyOnWriteArrayList<>();

        /** A filter of the application's, after ours, that notes the context of each dispatch. */
        @Bean
        FilterRegistrationBean<OncePerRequestFilter> dispatchRecorder(Tracer tracer) {
            OncePerRequestFilter recorder = new OncePerRequestFilter() {

                @Override
                protected boolean shouldNotFilterAsyncDispatch() {
                    return false;
                }

                @Override
                protected boolean shouldNotFilterErrorDispatch() {
                    return false;
                }

                @Override
                protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                        FilterChain chain) throws ServletException, IOException {
                    seen.add(request.getDispatcherType() + " " + describe(tracer.currentTraceContext().context()));
                    chain.doFilter(request, response);
                }

            };
            FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(recorder);
            registration.setOrder(Ordered.LOWEST_PRECEDENCE);
            registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
            return registration;
        }

        static String describe(TraceContext context) {
            return context == null ? "none" : context.traceId() + "/" + context.spanId() + "/" + context.sampled();
        }

        @RestController
        static class Endpoints {

            private final Tracer tracer;

            Endpoints(Tracer tracer) {
                this.tracer = tracer;
            }

            @GetMapping("/skipped/callable")
            Callable<String> callable() {
                return () -> describe(tracer.currentTraceContext().context());
            }

        }

    }

}
