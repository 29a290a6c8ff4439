/**
 * The test kit: the spans an application really produces, collected synchronously after its
 * own span filters and predicates ({@link dev.tracing.test.TestSpans} in Spring tests,
 * {@link dev.tracing.test.TestTracer} without Spring), AssertJ assertions that print the trace
 * tree when they fail ({@link dev.tracing.test.TraceAssertions}), and a strict mode that fails a
 * test which leaves a span unended or a scope open ({@link dev.tracing.test.StrictTracing}).
 */
package dev.tracing.test;
