package dev.tracing.core;

import java.util.List;
import java.util.stream.Collectors;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.test.simple.SimpleTracer;

/**
 * Runs the tracer contract against Micrometer's {@link SimpleTracer}, the reference: if a scenario
 * fails here, the scenario (not our tracer) is wrong.
 */
class SimpleTracerContractTests extends TracerContractTests {

    @Override
    protected TracerUnderTest newTracer() {
        SimpleTracer tracer = new SimpleTracer();
        return new TracerUnderTest() {
            @Override
            public Tracer tracer() {
                return tracer;
            }

            @Override
            public List<FinishedSpan> finishedSpans() {
                // SimpleTracer keeps every created span; a finished one has an end timestamp
                return tracer.getSpans()
                    .stream()
                    .filter(span -> span.getEndTimestamp().toEpochMilli() != 0L)
                    .collect(Collectors.toList());
            }
        };
    }

}
