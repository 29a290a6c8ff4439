package dev.tracing.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;

/** Runs the tracer contract against this project's tracer. */
class TraceTracerContractTests extends TracerContractTests {

    @Override
    protected TracerUnderTest newTracer() {
        List<FinishedSpan> reported = new CopyOnWriteArrayList<>();
        TraceTracer tracer = Tracing.newBuilder().serviceName("contract").reporter(reported::add).build();
        return new TracerUnderTest() {
            @Override
            public Tracer tracer() {
                return tracer;
            }

            @Override
            public List<FinishedSpan> finishedSpans() {
                return List.copyOf(reported);
            }
        };
    }

}
