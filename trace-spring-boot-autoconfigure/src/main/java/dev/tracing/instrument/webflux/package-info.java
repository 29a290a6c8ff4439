/**
 * WebFlux: the server filter that starts each request's SERVER span and writes it into the Reactor
 * Context, and the WebClient filter that makes CLIENT spans from the span found there.
 */
package dev.tracing.instrument.webflux;
