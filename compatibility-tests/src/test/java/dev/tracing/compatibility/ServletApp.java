package dev.tracing.compatibility;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.tracing.Tracer;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/**
 * The Spring MVC side on Tomcat: {@code GET /front} calls an {@code @Observed} and a {@code @NewSpan} method, then
 * {@code /back} with RestTemplate and with RestClient, and answers the trace id.
 */
@SpringBootConfiguration
@EnableAutoConfiguration(excludeName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@Import(CompatibilityApp.Work.class)
public class ServletApp {

    /** The trace headers each {@code /back} request carried, by trace id. */
    static final Map<String, List<List<String>>> backHeaders = new ConcurrentHashMap<>();

    @RestController
    static class Endpoints {

        private final RestTemplateBuilder restTemplate;

        private final RestClient.Builder restClient;

        private final CompatibilityApp.Work work;

        private final Tracer tracer;

        private final Environment environment;

        Endpoints(RestTemplateBuilder restTemplate, RestClient.Builder restClient, CompatibilityApp.Work work,
                Tracer tracer, Environment environment) {
            this.restTemplate = restTemplate;
            this.restClient = restClient;
            this.work = work;
            this.tracer = tracer;
            this.environment = environment;
        }

        @GetMapping("/front")
        String front() {
            work.observed("front");
            work.annotated("front");
            String base = "http://localhost:" + environment.getProperty("local.server.port");
            restTemplate.build().getForObject(base + "/back", String.class);
            restClient.build().get().uri(base + "/back").retrieve().body(String.class);
            return tracer.currentSpan().context().traceId();
        }

        @GetMapping("/back")
        String back(HttpServletRequest request) {
            List<String> headers = new ArrayList<>();
            for (String name : Collections.list(request.getHeaderNames())) {
                String lower = name.toLowerCase();
                if (lower.equals("traceparent") || lower.equals("b3") || lower.startsWith("x-b3-")) {
                    Collections.list(request.getHeaders(name)).forEach(value -> headers.add(lower + "=" + value));
                }
            }
            backHeaders.computeIfAbsent(tracer.currentSpan().context().traceId(), id -> new ArrayList<>()).add(headers);
            return "ok";
        }

    }

}
