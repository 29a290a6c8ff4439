package dev.tracing.instrument.webflux;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.propagation.CompositePropagator;
import dev.tracing.propagation.PropagationType;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.util.pattern.PathPatternParser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the server filter shows of itself to Spring's filter chain, and how it finds the decorator's span. */
class TraceWebFilterTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final TraceWebFilter filter = newFilter(tracer);

    /** The server filter over {@code tracer}, W3C propagation and the default HTTP policy. */
    static TraceWebFilter newFilter(TraceTracer tracer) {
        return new TraceWebFilter(tracer,
                CompositePropagator.builder(tracer)
                    .consume(List.of(PropagationType.W3C))
                    .produce(List.of(PropagationType.W3C))
                    .build(),
                HttpSpanPolicy.builder().build());
    }

    @Test
    void describesItselfWithOneConstantString() {
        // Spring's DefaultWebFilterChain asks every filter for toString() on every request, to
        // describe its checkpoint: Object.toString() would build a new string (class name and
        // hash) each time
        assertThat(filter.toString()).isEqualTo("TraceWebFilter").isSameAs(filter.toString());
    }

    @Test
    void anExchangeWhoseRequestIsNotTheServersStillGetsTheDecoratorsSpan() {
        // a server adapter (or an HttpHandler decorator inside ours) that hands the chain a request of its own:
        // the filter finds the decorator's span through the Reactor Context instead of the server's request
        HttpHandler handler = (request, response) -> {
            MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/orders/7"));
            return filter.filter(exchange, chained -> {
                chained.getAttributes().put(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE,
                        PathPatternParser.defaultInstance.parse("/orders/{id}"));
                return Mono.empty();
            });
        };

        filter.decorate(handler).handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())
            .block();

        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getName()).isEqualTo("GET /orders/{id}");
        });
    }

    @Test
    void aHandlerThatThrowsInsteadOfFailingItsMonoEndsTheSpanWithTheError() {
        IllegalStateException broken = new IllegalStateException("handler broken");
        HttpHandler handler = (request, response) -> {
            throw broken;
        };

        assertThatThrownBy(() -> filter.decorate(handler)
            .handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse())).isSameAs(broken);

        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getKind()).isEqualTo(Span.Kind.SERVER);
            assertThat(span.getError()).isSameAs(broken);
        });
    }

}
