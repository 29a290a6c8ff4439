package dev.tracing.compatibility;

import org.springframework.test.context.TestPropertySource;

/**
 * Spring Boot's tracing module with Spring Kafka's own template and listener observations on:
 * still one PRODUCER and one CONSUMER span and one traceparent per record.
 */
@TestPropertySource(properties = { "spring.kafka.template.observation-enabled=true",
        "spring.kafka.listener.observation-enabled=true" })
class BootTracingKafkaObservationsTests extends ObservedExchangeSpansTests {

}
