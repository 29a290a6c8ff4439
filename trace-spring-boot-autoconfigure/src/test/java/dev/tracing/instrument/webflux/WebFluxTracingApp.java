package dev.tracing.instrument.webflux;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.tracing.context.ReactorTracing;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import reactor.core.observability.micrometer.Micrometer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/** A small WebFlux app for the instrumentation tests: it calls itself as its own downstream. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class WebFluxTracingApp {

    /** Every traceparent header value that /downstream received, by the request's marker. */
    static final Map<String, List<String>> downstreamTraceparents = new ConcurrentHashMap<>();

    /** The tracestate and baggage header values that /downstream received, by the request's marker. */
    static final Map<String, Map<String, List<String>>> downstreamHeaders = new ConcurrentHashMap<>();

    /** The trace ids of the /slow requests whose handler has started, so a test knows it is under way. */
    static final Set<String> slowStarted = ConcurrentHashMap.newKeySet();

    /** The filters of Spring's chain, as an application's filter sees them, on the last /span-attribute request. */
    static volatile List<String> chainFilters = List.of();

    /** Records the chain's filters (by class name) on /span-attribute requests. */
    @org.springframework.context.annotation.Bean
    org.springframework.web.server.WebFilter chainRecordingFilter() {
        return (exchange, chain) -> {
            if (exchange.getRequest().getPath().value().startsWith("/span-attribute/")
                    && chain instanceof org.springframework.web.server.handler.DefaultWebFilterChain filters) {
                chainFilters = filters.getFilters().stream().map(filter -> filter.getClass().getSimpleName()).toList();
            }
            return chain.filter(exchange);
        };
    }

    /** Fails /early-failure in the application's first filter, ahead of every other filter (ours too). */
    @org.springframework.context.annotation.Bean
    @org.springframework.core.annotation.Order(org.springframework.core.Ordered.HIGHEST_PRECEDENCE)
    org.springframework.web.server.WebFilter earlyFailingFilter() {
        return (exchange, chain) -> "/early-failure".equals(exchange.getRequest().getPath().value())
                ? Mono.error(new IllegalStateException("failed before the handler")) : chain.filter(exchange);
    }

    /** Boot offers a RestTemplateBuilder only to servlet applications: build one with the customizers. */
    @org.springframework.context.annotation.Bean
    org.springframework.boot.restclient.RestTemplateBuilder restTemplateBuilder(
            org.springframework.beans.factory.ObjectProvider<org.springframework.boot.restclient.RestTemplateCustomizer> customizers) {
        return new org.springframework.boot.restclient.RestTemplateBuilder()
            .customizers(customizers.orderedStream().toList());
    }

    /**
     * An exception handler of the application's, ahead of Boot's, that fails while answering an
     * {@link AnswerFails} or a {@code ResponseStatusException} whose reason is "answer fails": Boot's
     * handler then answers the error it failed with (500).
     */
    @org.springframework.context.annotation.Bean
    @org.springframework.core.annotation.Order(-2)
    org.springframework.web.server.WebExceptionHandler failingExceptionHandler() {
        return (exchange, ex) -> ex instanceof AnswerFails
                || (ex instanceof ResponseStatusException rejected && "answer fails".equals(rejected.getReason()))
                        ? Mono.error(new IllegalStateException("the exception handler failed too")) : Mono.error(ex);
    }

    @RestController
    static class Endpoints {

        private static final Logger logger = LoggerFactory.getLogger(Endpoints.class);

        private final WebClient.Builder webClientBuilder;

        private final ApplicationContext context;

        private final Tracer tracer;

        private final ObservationRegistry observationRegistry;

        Endpoints(WebClient.Builder webClientBuilder, ApplicationContext context, Tracer tracer,
                ObservationRegistry observationRegistry) {
            this.observationRegistry = observationRegistry;
            this.webClientBuilder = webClientBuilder;
            this.context = context;
            this.tracer = tracer;
        }

        private WebClient client() {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            return webClientBuilder.baseUrl("http://127.0.0.1:" + port).build();
        }

        @GetMapping("/downstream/{marker}")
        Mono<String> downstream(@PathVariable String marker, ServerHttpRequest request) {
            List<String> values = request.getHeaders().get("traceparent");
            downstreamTraceparents.put(marker, values == null ? List.of() : List.copyOf(values));
            for (String name : List.of("tracestate", "baggage", "tenant")) {
                List<String> others = request.getHeaders().get(name);
                downstreamHeaders.computeIfAbsent(marker, m -> new ConcurrentHashMap<>())
                    .put(name, others == null ? List.of() : List.copyOf(others));
            }
            return Mono.just("ok");
        }

        /** A WebClient built by hand, not from Boot's builder: only its Observation traces it. */
        @GetMapping("/hand-built/{marker}")
        Mono<String> handBuilt(@PathVariable String marker) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            return WebClient.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .observationRegistry(observationRegistry)
                .build()
                .get()
                .uri("/downstream/{marker}", marker)
                .retrieve()
                .bodyToMono(String.class);
        }

        /** Part of the chain observed with Reactor's tap: its log line and WebClient call are the Observation's. */
        @GetMapping("/observed/{marker}")
        Mono<String> observed(@PathVariable String marker) {
            return Mono.defer(() -> {
                logger.info("observed section {}", marker);
                return client().get().uri("/downstream/{marker}", marker).retrieve().bodyToMono(String.class);
            }).name("observed.section").tap(Micrometer.observation(observationRegistry));
        }

        @GetMapping("/chain/{marker}")
        Mono<Map<String, String>> chain(@PathVariable String marker) {
            return client().get()
                .uri("/downstream/{marker}", marker)
                .retrieve()
                .bodyToMono(String.class)
                .publishOn(Schedulers.parallel())
                .flatMap(body -> {
                    logger.info("chain {} got {}", marker, body);
                    return Mono.deferContextual(ctx -> Mono.just(Map.of("traceId",
                            ReactorTracing.traceContext(ctx).traceId(), "current",
                            String.valueOf(tracer.currentSpan() == null ? null : tracer.currentSpan().context().traceId()))));
                });
        }

        /** What an operator right after a WebClient call sees, on the thread the response arrived on. */
        @GetMapping("/after-call/{marker}")
        Mono<Map<String, String>> afterCall(@PathVariable String marker) {
            return client().get()
                .uri("/downstream/{marker}", marker)
                .retrieve()
                .bodyToMono(String.class)
                .map(body -> {
                    logger.info("after call {} got {}", marker, body);
                    return Map.of("mdcTraceId", String.valueOf(MDC.get("traceId")), "currentSpanId",
                            String.valueOf(tracer.currentSpan() == null ? null : tracer.currentSpan().context().spanId()));
                });
        }

        @GetMapping("/blocking/{marker}")
        Mono<String> blocking(@PathVariable String marker) {
            org.springframework.boot.restclient.RestTemplateBuilder restTemplateBuilder = context
                .getBean(org.springframework.boot.restclient.RestTemplateBuilder.class);
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            return Mono
                .fromCallable(() -> restTemplateBuilder.build()
                    .getForObject("http://127.0.0.1:" + port + "/downstream/" + marker, String.class))
                .subscribeOn(Schedulers.boundedElastic());
        }

        /** The trace id in the MDC as the controller method runs (as the request is subscribed to). */
        @GetMapping("/mdc-in-body")
        Mono<String> mdcInBody() {
            return Mono.just(String.valueOf(MDC.get("traceId")));
        }

        @GetMapping("/users/{id}")
        Mono<String> user(@PathVariable String id) {
            return Mono.just("user " + id);
        }

        /** The span id of the SERVER span the exchange's attribute holds, as an application would read it. */
        @GetMapping("/span-attribute/{id}")
        Mono<String> spanAttribute(ServerWebExchange exchange) {
            Object span = exchange.getAttribute(TraceWebFilter.SPAN_ATTRIBUTE);
            return Mono.just(span instanceof Span traced ? traced.context().spanId() : "none");
        }

        @GetMapping("/fail")
        Mono<String> fail() {
            return Mono.error(new IllegalStateException("handler failed"));
        }

        /** Fails with an exception the @ExceptionHandler below answers: 500 for a failure, 400 for a rejection. */
        @GetMapping("/handled/{outcome}")
        Mono<String> handled(@PathVariable String outcome) {
            return Mono.error("failed".equals(outcome) ? new OrderFailed("kaboom") : new OrderRejected("bad order"));
        }

        /** Hands the exception to Spring's server Observation, as Spring documents for handled exceptions. */
        @ExceptionHandler({ OrderFailed.class, OrderRejected.class })
        ResponseEntity<String> handle(RuntimeException ex, ServerWebExchange exchange) {
            ServerRequestObservationContext.findCurrent(exchange.getAttributes())
                .ifPresent(context -> context.setError(ex));
            return ResponseEntity.status(ex instanceof OrderFailed ? 500 : 400).body(ex.getMessage());
        }

        @GetMapping("/answer-fails")
        Mono<String> answerFails() {
            return Mono.error(new AnswerFails("the handler failed"));
        }

        @GetMapping("/gone")
        Mono<String> gone() {
            return Mono.error(new ResponseStatusException(HttpStatus.GONE, "answer fails"));
        }

        @GetMapping("/missing")
        Mono<String> missing() {
            return Mono.error(new ResponseStatusException(HttpStatus.NOT_FOUND, "nothing here"));
        }

        /** A 404 whose body fails part way, after the status went out. */
        @GetMapping("/missing-then-failing")
        ResponseEntity<Flux<String>> missingThenFailing() {
            return ResponseEntity.status(HttpStatus.NOT_FOUND)
                .body(Flux.just("partial ").concatWith(Flux.error(new IllegalStateException("body failed"))));
        }

        /** Server-sent events, one every 50 ms, until the client goes away. */
        @GetMapping(value = "/ticks", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
        Flux<ServerSentEvent<Long>> ticks() {
            return Flux.interval(Duration.ofMillis(50)).map(tick -> ServerSentEvent.builder(tick).build());
        }

        /** A stream that fails part way with a server error, after the 200 went out. */
        @GetMapping("/stream-then-unavailable")
        Flux<String> streamThenUnavailable() {
            return Flux.just("partial ")
                .concatWith(Flux.error(new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE, "backend gone")));
        }

        @GetMapping("/annotated-missing")
        Mono<String> annotatedMissing() {
            return Mono.error(new OrderMissing("no order 42"));
        }

        @GetMapping("/slow")
        Mono<String> slow() {
            return Mono.deferContextual(ctx -> {
                TraceContext traced = ReactorTracing.traceContext(ctx);
                if (traced != null) {
                    slowStarted.add(traced.traceId());
                }
                // what the application does when the client goes away lands on the request's span
                return Mono.delay(Duration.ofSeconds(10)).thenReturn("late").doOnCancel(() -> {
                    Span current = this.tracer.currentSpan();
                    if (current != null) {
                        current.tag("slow.outcome", "given up");
                    }
                });
            });
        }

    }

    static class OrderFailed extends RuntimeException {

        OrderFailed(String message) {
            super(message);
        }

    }

    static class AnswerFails extends RuntimeException {

        AnswerFails(String message) {
            super(message);
        }

    }

    /** Answered 404 by Boot's error handling, from the annotation. */
    @ResponseStatus(HttpStatus.NOT_FOUND)
    static class OrderMissing extends RuntimeException {

        OrderMissing(String message) {
            super(message);
        }

    }

    static class OrderRejected extends RuntimeException {

        OrderRejected(String message) {
            super(message);
        }

    }

}
