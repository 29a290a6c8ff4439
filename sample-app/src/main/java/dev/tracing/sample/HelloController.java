package dev.tracing.sample;

import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The sample's endpoints. There is no tracing code here but reading the trace id to show it: the
 * starter's server filter gives each request a SERVER span, the WebClient filter each call a
 * CLIENT span, and the log lines carry the ids. The id is read through Micrometer's
 * {@link Tracer}, which Reactor's context propagation makes current in every operator (the
 * starter's default, {@code trace.reactor.context-propagation=auto}); with
 * {@code trace.enabled=false} there is no tracer, and the id is empty.
 */
@RestController
@RequestMapping("/api")
class HelloController {

    private static final Logger logger = LoggerFactory.getLogger(HelloController.class);

    private final WebClient.Builder webClientBuilder;

    private final RestTemplate restTemplate;

    private final KafkaTemplate<String, String> kafka;

    private final ApplicationContext context;

    private final String downstreamUrl;

    private final Tracer tracer;

    private final GreeterClient greeter;

    HelloController(WebClient.Builder webClientBuilder, RestTemplateBuilder restTemplateBuilder,
            KafkaTemplate<String, String> kafka, ApplicationContext context,
            @Value("${sample.downstream-url:}") String downstreamUrl, ObjectProvider<Tracer> tracer,
            GreeterClient greeter) {
        this.greeter = greeter;
        this.tracer = tracer.getIfAvailable(() -> Tracer.NOOP);
        this.webClientBuilder = webClientBuilder;
        this.restTemplate = restTemplateBuilder.build();
        this.kafka = kafka;
        this.context = context;
        this.downstreamUrl = downstreamUrl;
    }

    /** Answers a greeting. */
    @GetMapping("/hello")
    Mono<Map<String, String>> hello(@RequestParam(defaultValue = "world") String name) {
        return Mono.fromSupplier(() -> {
            logger.info("Saying hello to {}", name);
            return Map.of("message", "Hello, " + name + "!", "traceId", traceId());
        });
    }

    /**
     * Calls the downstream service's {@code /api/hello} with WebClient, then with RestTemplate on
     * {@code boundedElastic} (blocking code belongs there), then sends an event to Kafka topic
     * {@code sample-events} (also on {@code boundedElastic}: a send can block while it fetches
     * metadata), then asks the sample's gRPC service for a greeting (a blocking call, on
     * {@code boundedElastic}), and reports the trace id.
     */
    @GetMapping("/chain")
    Mono<Map<String, Object>> chain() {
        Mono<Map> webClient = webClientBuilder.build()
            .get()
            .uri(downstream() + "/api/hello?name={name}", "chain")
            .retrieve()
            .bodyToMono(Map.class);
        Mono<Map> blocking = Mono
            .fromCallable(() -> restTemplate.getForObject(downstream() + "/api/hello?name={name}", Map.class,
                    "rest-template"))
            .subscribeOn(Schedulers.boundedElastic());
        return webClient.publishOn(Schedulers.parallel())
            .flatMap(greeting -> {
                logger.info("Downstream answered {}", greeting.get("message"));
                return blocking.map(blockingGreeting -> Map.of("webClient", greeting, "restTemplate", blockingGreeting));
            })
            .flatMap(answers -> Mono
                .fromCallable(() -> kafka.send(EmbeddedKafkaConfiguration.EVENTS_TOPIC, "chain called "
                        + downstream() + " twice"))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(Mono::fromFuture)
                .thenReturn(answers))
            .flatMap(answers -> Mono.fromCallable(() -> greeter.sayHello("chain"))
                .subscribeOn(Schedulers.boundedElastic())
                .map(grpc -> {
                    Map<String, Object> all = new LinkedHashMap<>(answers);
                    all.put("grpc", grpc);
                    return all;
                }))
            .map(answers -> {
                Map<String, Object> body = new LinkedHashMap<>(answers);
                body.put("traceId", traceId());
                return body;
            });
    }

    /**
     * Asks the downstream service for a greeting, then fails: logs an error and answers 500 (the
     * error path, for {@code trace.sampling.keep.errors} and the trace viewer).
     */
    @GetMapping("/fail")
    Mono<ResponseEntity<Map<String, String>>> fail() {
        return webClientBuilder.build()
            .get()
            .uri(downstream() + "/api/hello?name={name}", "fail")
            .retrieve()
            .bodyToMono(Map.class)
            .map(greeting -> {
                logger.error("Failing on purpose after the downstream answered {}", greeting.get("message"));
                return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR)
                    .body(Map.of("error", "failed on purpose", "traceId", traceId()));
            });
    }

    /** The current trace's id, or empty when nothing is traced. */
    private String traceId() {
        Span span = tracer.currentSpan();
        return span != null ? span.context().traceId() : "";
    }

    private String downstream() {
        if (!downstreamUrl.isEmpty()) {
            return downstreamUrl;
        }
        // by default the app is its own downstream
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

}
