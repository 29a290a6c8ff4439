/**
 * Living beside Spring's Observations: exchanges this starter traces get no second span, every
 * other Observation becomes a span of the tracer, nested as the Observations are.
 */
package dev.tracing.instrument.observation;
