package dev.tracing.instrument.sampling;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.FixedBackOff;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * A WebFlux service on Reactor Netty with a Kafka hop, for the sampling tests: {@code /fail}
 * calls {@code /hello} with a WebClient and sends to {@code jobs}, then answers 500; the
 * {@code jobs} listener fails on {@code boom}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class SamplingWebFluxApp {

    static final String JOBS = "jobs";

    /** Where the error handler sends a record the listener failed on (Spring Kafka's default name). */
    static final String JOBS_DLT = "jobs-dlt";

    static final String AUDIT = "audit";

    static final String EVENTS = "events";

    /** What the listener saw, by payload: its trace id and sampling flag, {@code <trace id>/1} or {@code /0}. */
    static final Map<String, String> received = new ConcurrentHashMap<>();

    /**
     * One attempt per failing record, then the record goes to {@link #JOBS_DLT}: the test counts its
     * spans, the dead-letter send among them.
     */
    @Bean
    ConcurrentKafkaListenerContainerFactory<Object, Object> kafkaListenerContainerFactory(
            ConsumerFactory<Object, Object> consumers, KafkaTemplate<Object, Object> template) {
        ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(consumers);
        factory.setCommonErrorHandler(
                new DefaultErrorHandler(new DeadLetterPublishingRecoverer(template), new FixedBackOff(0L, 0L)));
        return factory;
    }

    @RestController
    static class Endpoints {

        private final WebClient client;

        private final Environment environment;

        private final KafkaTemplate<String, String> kafka;

        private final Tracer tracer;

        Endpoints(WebClient.Builder builder, Environment environment, KafkaTemplate<String, String> kafka,
                Tracer tracer) {
            this.client = builder.build();
            this.environment = environment;
            this.kafka = kafka;
            this.tracer = tracer;
        }

        @GetMapping("/hello")
        String hello() {
            return "hello";
        }

        @GetMapping("/orders/{id}")
        String order(@PathVariable String id) {
            return "order " + id;
        }

        @PostMapping("/orders/{id}")
        String placeOrder(@PathVariable String id) {
            return "placed " + id;
        }

        @GetMapping("/slow")
        Mono<String> slow() {
            return Mono.delay(Duration.ofMillis(400)).thenReturn("slow");
        }

        @GetMapping("/fail")
        Mono<ResponseEntity<String>> fail() {
            String traceId = tracer.currentSpan().context().traceId();
            return client.get()
                .uri("http://127.0.0.1:" + environment.getProperty("local.server.port") + "/hello")
                .retrieve()
                .bodyToMono(String.class)
                .flatMap(hello -> Mono.fromFuture(kafka.send(JOBS, "from-fail " + traceId)))
                .thenReturn(ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body("failed"));
        }

    }

    @Component
    static class Listeners {

        private final Tracer tracer;

        Listeners(Tracer tracer) {
            this.tracer = tracer;
        }

        @KafkaListener(topics = { JOBS, AUDIT, EVENTS }, groupId = "sampling")
        void onRecord(String payload) {
            Span span = tracer.currentSpan();
            received.put(payload, span == null ? ""
                    : span.context().traceId() + (Boolean.TRUE.equals(span.context().sampled()) ? "/1" : "/0"));
            if (payload.startsWith("boom")) {
                throw new IllegalStateException("job failed: " + payload);
            }
            if (payload.startsWith("slow")) {
                try {
                    Thread.sleep(400);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }

    }

}
