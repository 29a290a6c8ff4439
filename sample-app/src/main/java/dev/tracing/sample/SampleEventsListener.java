package dev.tracing.sample;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Logs the events {@code /api/chain} sends. No tracing code: the starter's listener interceptor
 * makes the record's CONSUMER span current, so the log line carries the request's trace id.
 */
@Component
class SampleEventsListener {

    private static final Logger logger = LoggerFactory.getLogger(SampleEventsListener.class);

    @KafkaListener(topics = EmbeddedKafkaConfiguration.EVENTS_TOPIC, groupId = "sample-app")
    void onEvent(String event) {
        logger.info("Received event: {}", event);
    }

}
