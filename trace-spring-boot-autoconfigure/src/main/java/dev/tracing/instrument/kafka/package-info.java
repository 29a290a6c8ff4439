/**
 * Kafka: trace headers and PRODUCER spans on every record a Spring producer factory's producers
 * send, CONSUMER spans around every record or batch a listener container processes.
 */
package dev.tracing.instrument.kafka;
