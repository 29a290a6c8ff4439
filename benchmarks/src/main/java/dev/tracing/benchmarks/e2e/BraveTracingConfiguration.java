package dev.tracing.benchmarks.e2e;

import java.util.List;

import brave.Tracing;
import brave.baggage.BaggagePropagation;
import brave.context.slf4j.MDCScopeDecorator;
import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.CurrentTraceContext;
import brave.propagation.ThreadLocalCurrentTraceContext;
import brave.propagation.TraceContext;
import brave.sampler.Sampler;
import io.micrometer.tracing.brave.bridge.BraveBaggageManager;
import io.micrometer.tracing.brave.bridge.BraveCurrentTraceContext;
import io.micrometer.tracing.brave.bridge.BravePropagator;
import io.micrometer.tracing.brave.bridge.BraveTracer;
import io.micrometer.tracing.brave.bridge.W3CPropagation;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Brave bridge as Spring Boot's Brave module would configure it (that module does not
 * resolve at 4.1.0): thread-local context with trace ids in the MDC, W3C propagation with
 * baggage, 128-bit trace ids, every trace sampled, and a span handler that keeps nothing. Boot's
 * tracing module (on the same classpath) turns these beans into its observation handlers, which
 * trace the WebFlux server and WebClient observations.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = "io.micrometer.tracing.brave.bridge.BraveTracer")
class BraveTracingConfiguration {

    @Bean(destroyMethod = "close")
    Tracing braveTracing(@Value("${spring.application.name:e2e}") String serviceName) {
        BraveBaggageManager baggage = new BraveBaggageManager();
        CurrentTraceContext context = ThreadLocalCurrentTraceContext.newBuilder()
            .addScopeDecorator(MDCScopeDecorator.newBuilder().build())
            .build();
        SpanHandler keepNothing = new SpanHandler() {
            @Override
            public boolean end(TraceContext traceContext, MutableSpan span, Cause cause) {
                return true;
            }
        };
        return Tracing.newBuilder()
            .localServiceName(serviceName)
            .traceId128Bit(true)
            .supportsJoin(false)
            .sampler(Sampler.ALWAYS_SAMPLE)
            .currentTraceContext(context)
            .propagationFactory(
                    BaggagePropagation.newFactoryBuilder(new W3CPropagation(baggage, List.of())).build())
            .addSpanHandler(keepNothing)
            .build();
    }

    @Bean
    BraveTracer braveBridgeTracer(Tracing tracing) {
        return new BraveTracer(tracing.tracer(), new BraveCurrentTraceContext(tracing.currentTraceContext()),
                new BraveBaggageManager());
    }

    @Bean
    BravePropagator braveBridgePropagator(Tracing tracing) {
        return new BravePropagator(tracing);
    }

}
