package dev.tracing.sample;

import java.util.Map;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The sample's endpoints. */
@RestController
@RequestMapping("/api")
class HelloController {

    private static final Logger logger = LoggerFactory.getLogger(HelloController.class);

    private final Tracer tracer;

    HelloController(Tracer tracer) {
        this.tracer = tracer;
    }

    /**
     * Answers a greeting. Until the WebFlux server instrumentation lands, the span is started here
     * with the tracer's API, so the request still shows up as a trace.
     */
    @GetMapping("/hello")
    Mono<Map<String, String>> hello(@RequestParam(defaultValue = "world") String name) {
        return Mono.fromSupplier(() -> {
            Span span = tracer.nextSpan().name("hello").tag("greeting.name", name).start();
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                logger.info("Saying hello to {}", name);
                return Map.of("message", "Hello, " + name + "!", "traceId", span.context().traceId());
            }
            finally {
                span.end();
            }
        });
    }

}
