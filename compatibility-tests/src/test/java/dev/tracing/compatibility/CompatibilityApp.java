package dev.tracing.compatibility;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.annotation.Observed;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.annotation.NewSpan;
import io.micrometer.tracing.annotation.SpanTag;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * One request that crosses every instrumented exchange: {@code GET /front} calls an
 * {@code @Observed} method, a {@code @NewSpan} method and a hand-made Observation, then calls
 * {@code /back} with WebClient and with RestClient, then sends a record that a listener receives
 * and hands to the same {@code @Observed} method. It answers the trace id.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class CompatibilityApp {

    static final String TOPIC = "compat";

    /** The trace headers each {@code /back} request carried, by trace id. */
    static final Map<String, List<List<String>>> backHeaders = new ConcurrentHashMap<>();

    /** What the listener saw, by trace id of the request that sent the record. */
    static final Map<String, Received> received = new ConcurrentHashMap<>();

    record Received(List<String> traceparents, String currentTraceId, String currentSpanId) {
    }

    @Bean
    Listener listener(Work work, Tracer tracer) {
        return new Listener(work, tracer);
    }

    /** Registered as a member of this configuration class, as is {@link Work}. */
    @RestController
    static class FrontController {

        private final WebClient.Builder webClient;

        private final RestClient.Builder restClient;

        private final KafkaTemplate<String, String> kafka;

        private final Work work;

        private final Tracer tracer;

        private final ObservationRegistry registry;

        private final Environment environment;

        FrontController(WebClient.Builder webClient, RestClient.Builder restClient, KafkaTemplate<String, String> kafka,
                Work work, Tracer tracer, ObjectProvider<ObservationRegistry> registry, Environment environment) {
            this.webClient = webClient;
            this.restClient = restClient;
            this.kafka = kafka;
            this.work = work;
            this.tracer = tracer;
            this.registry = registry.getIfAvailable(() -> ObservationRegistry.NOOP);
            this.environment = environment;
        }

        @GetMapping("/front")
        Mono<String> front() {
            String traceId = tracer.currentSpan().context().traceId();
            work.observed("front");
            work.annotated("front");
            Observation.createNotStarted("user.work", registry).observe(() -> {
            });
            String base = "http://localhost:" + environment.getProperty("local.server.port");
            return webClient.build()
                .get()
                .uri(base + "/back")
                .retrieve()
                .bodyToMono(String.class)
                .then(Mono.fromCallable(() -> restClient.build().get().uri(base + "/back").retrieve().body(String.class))
                    .subscribeOn(Schedulers.boundedElastic()))
                .then(Mono.fromCallable(() -> kafka.send(TOPIC, traceId, "hello").get(30, TimeUnit.SECONDS))
                    .subscribeOn(Schedulers.boundedElastic()))
                .thenReturn(traceId);
        }

        @GetMapping("/back")
        String back(ServerHttpRequest request) {
            List<String> headers = new ArrayList<>();
            request.getHeaders().forEach((name, values) -> {
                String lower = name.toLowerCase();
                if (lower.equals("traceparent") || lower.equals("b3") || lower.startsWith("x-b3-")) {
                    values.forEach(value -> headers.add(lower + "=" + value));
                }
            });
            backHeaders.computeIfAbsent(tracer.currentSpan().context().traceId(), id -> new ArrayList<>()).add(headers);
            return "ok";
        }

    }

    @Service
    public static class Work {

        @Observed(name = "work.observed", contextualName = "observed work")
        public void observed(String where) {
        }

        @NewSpan("annotated work")
        public void annotated(@SpanTag("where") String where) {
        }

    }

    static class Listener {

        private final Work work;

        private final Tracer tracer;

        Listener(Work work, Tracer tracer) {
            this.work = work;
            this.tracer = tracer;
        }

        @KafkaListener(topics = TOPIC, groupId = "compat")
        void onMessage(ConsumerRecord<String, String> record) {
            List<String> traceparents = new ArrayList<>();
            for (Header header : record.headers().headers("traceparent")) {
                traceparents.add(new String(header.value(), StandardCharsets.UTF_8));
            }
            Span current = tracer.currentSpan();
            work.observed("listener");
            received.put(record.key(), new Received(traceparents, current == null ? null : current.context().traceId(),
                    current == null ? null : current.context().spanId()));
        }

    }

}
