/**
 * Micrometer's {@code @NewSpan}, {@code @ContinueSpan} and {@code @SpanTag}: the SpEL resolver
 * for tag expressions.
 */
package dev.tracing.instrument.annotation;
