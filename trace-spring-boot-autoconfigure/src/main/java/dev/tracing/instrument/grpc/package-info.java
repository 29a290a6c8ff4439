/**
 * gRPC instrumentation: a SERVER span per call on a gRPC server, a CLIENT span per call on a
 * channel, trace context in the call's {@code Metadata}, through one span policy.
 */
package dev.tracing.instrument.grpc;
