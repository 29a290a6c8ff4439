package dev.tracing.instrument.webflux;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebHandler;
import org.springframework.web.server.adapter.ForwardedHeaderTransformer;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import org.springframework.web.util.pattern.PathPatternParser;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the server filter can leave Spring's chain (only where the exchange is built over the very
 * request the decorator is given), and what the span then still reads of the exchange.
 */
@ExtendWith(OutputCaptureExtension.class)
class TraceWebHttpHandlerBuilderCustomizerTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final TraceTracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    private final TraceWebFilter filter = TraceWebFilterTests.newFilter(tracer);

    private final WebFilter application = (exchange, chain) -> chain.filter(exchange);

    private final IllegalStateException broken = new IllegalStateException("order service broken");

    /** Answers /orders/{id} after the handler mapping would have matched it; fails /broken. */
    private final WebHandler handler = exchange -> {
        if (exchange.getRequest().getPath().value().startsWith("/broken")) {
            return Mono.error(broken);
        }
        exchange.getAttributes().put(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE,
                PathPatternParser.defaultInstance.parse("/orders/{id}"));
        return Mono.empty();
    };

    private final WebHttpHandlerBuilder builder = WebHttpHandlerBuilder.webHandler(handler)
        .filter(filter, application);

    @Test
    void theFilterLeavesTheChainOfAnAdapterItDecoratesDirectly() {
        new TraceWebHttpHandlerBuilderCustomizer(filter).customize(builder);

        assertThat(filters()).containsExactly(application);
        assertThat(builder.hasHttpHandlerDecorator()).isTrue();
    }

    @Test
    void theFilterStaysWhereTheExchangeIsBuiltOverAForwardedCopy() {
        builder.forwardedHeaderTransformer(new ForwardedHeaderTransformer());

        new TraceWebHttpHandlerBuilderCustomizer(filter).customize(builder);

        assertThat(filters()).containsExactly(filter, application);
    }

    @Test
    void theFilterStaysBehindAnotherDecoratorThatMayWrapTheRequest() {
        builder.httpHandlerDecorator(handler -> handler);

        new TraceWebHttpHandlerBuilderCustomizer(filter).customize(builder);

        assertThat(filters()).containsExactly(filter, application);
    }

    @Test
    void runsAfterTheApplicationsCustomizersSoItsDecoratorIsTheInnermost() {
        assertThat(new TraceWebHttpHandlerBuilderCustomizer(filter).getOrder())
            .isEqualTo(org.springframework.core.Ordered.LOWEST_PRECEDENCE);
    }

    @Test
    void withoutTheFilterTheSpanIsNamedAfterTheRouteAndHoldsTheFailure() {
        new TraceWebHttpHandlerBuilderCustomizer(filter).customize(builder);
        HttpHandler built = builder.build();

        built.handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse()).block();
        built.handle(MockServerHttpRequest.get("/broken").build(), new MockServerHttpResponse()).block();

        assertThat(spans).hasSize(2);
        assertThat(spans.get(0).getName()).isEqualTo("GET /orders/{id}");
        assertThat(spans.get(0).getError()).isNull();
        assertThat(spans.get(1).getError()).isSameAs(broken);
        assertThat(spans.get(1).getTags()).containsEntry("http.response.status_code", "500");
    }

    @Test
    void aDecoratorInsideOursThatHandsSpringAnotherRequestIsReportedOnce(CapturedOutput output) {
        new TraceWebHttpHandlerBuilderCustomizer(filter).customize(builder);
        // a customizer that runs after ours: its decorator sits inside ours
        builder.httpHandlerDecorator(inner -> (request, response) -> inner.handle(request.mutate().build(), response));
        HttpHandler built = builder.build();

        built.handle(MockServerHttpRequest.get("/orders/7").build(), new MockServerHttpResponse()).block();
        built.handle(MockServerHttpRequest.get("/orders/8").build(), new MockServerHttpResponse()).block();

        // still one span per request, but the route is out of its reach
        assertThat(spans).extracting(FinishedSpan::getName).containsExactly("GET", "GET");
        assertThat(output.getOut().split("cannot read the exchange through the request", -1)).hasSize(2);
    }

    private List<WebFilter> filters() {
        List<WebFilter> seen = new ArrayList<>();
        builder.filters(seen::addAll);
        return seen;
    }

}
