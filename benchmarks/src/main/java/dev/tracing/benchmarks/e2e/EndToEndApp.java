package dev.tracing.benchmarks.e2e;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.MDC;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The application the end-to-end benchmark ({@code benchmarks/e2e.sh}) loads: {@code GET /front}
 * makes one WebClient call to {@code GET /back} on the same server and answers with its body,
 * the {@code traceparent} that {@code /back} received (so the script can check that each
 * configuration traces and propagates, and that the one without tracing doesn't), and the
 * {@code traceId} in the MDC where {@code /front} maps the answer (so it shows which
 * configurations put the trace into log lines written in any Reactor operator).
 *
 * <p>The tracer is chosen by the classpath the script starts it with, as a user chooses it by
 * dependencies: nothing, our starter, Spring Boot's OpenTelemetry tracing, or the Brave bridge
 * (Boot's Brave module). {@code GET /allocated} answers the bytes allocated so far by the live
 * threads and {@code GET /cpu} the CPU time the process has used, both read before and after the
 * measured run.
 *
 * <p>{@code GET /order-page} is the same hop with a realistic amount of work behind it:
 * {@code /orders} builds an order list (prices, totals, a digest per order) and answers it as a
 * JSON document of about 20 KB, about a millisecond of work, as a typical service's endpoint does.
 *
 * <p>With {@code e2e.in-memory=true} (the in-memory request benchmark, which runs the app without a
 * server) the WebClient hands its requests to the app's own {@link HttpHandler} on the calling thread.
 */
@SpringBootApplication
public class EndToEndApp {

    public static void main(String[] args) {
        SpringApplication.run(EndToEndApp.class, args);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty("e2e.in-memory")
    static class InMemory {

        @Bean
        WebClientCustomizer inMemoryConnector(ObjectProvider<HttpHandler> handler) {
            return (builder) -> builder.clientConnector(new InMemoryConnector(handler::getObject));
        }

    }

    @RestController
    static class Endpoints {

        private final WebClient client;

        Endpoints(WebClient.Builder builder, @Value("${server.port}") int port) {
            this.client = builder.baseUrl("http://127.0.0.1:" + port).build();
        }

        @GetMapping("/front")
        Mono<String> front() {
            // the trace id a log line written in this operator would carry (MDC), to show which
            // configurations restore the trace around every operator and which only where asked
            return client.get()
                .uri("/back")
                .retrieve()
                .bodyToMono(String.class)
                .map(body -> "front+" + body + " mdc=" + MDC.get("traceId"));
        }

        @GetMapping("/back")
        String back(@RequestHeader(name = "traceparent", defaultValue = "none") String traceparent) {
            return traceparent;
        }

        @GetMapping("/order-page")
        Mono<String> orderPage() {
            return client.get()
                .uri("/orders")
                .retrieve()
                .bodyToMono(String.class)
                .map(body -> "page of " + body.length() + " bytes, mdc=" + MDC.get("traceId"));
        }

        @GetMapping("/orders")
        Orders orders() {
            return Orders.build(ThreadLocalRandom.current().nextLong());
        }

        @GetMapping("/cpu")
        long cpu() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        }

        @GetMapping("/allocated")
        long allocated() {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
                .getThreadMXBean();
            long total = 0;
            for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                total += Math.max(bytes, 0);
            }
            return total;
        }

    }

}
