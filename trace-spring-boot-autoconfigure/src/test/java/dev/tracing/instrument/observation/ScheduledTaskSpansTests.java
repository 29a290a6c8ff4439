package dev.tracing.instrument.observation;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code @Scheduled} method is observed by Spring (with actuator's ObservationRegistry), so each
 * run is a trace of its own, which can crowd a store's list of recent traces; Boot's observation
 * switch for scheduled tasks leaves them untraced, as the README says.
 */
class ScheduledTaskSpansTests {

    @Test
    void eachScheduledRunIsARootSpanOfItsOwn() {
        try (ConfigurableApplicationContext context = start()) {
            Heartbeat heartbeat = context.getBean(Heartbeat.class);
            InMemorySpanStore store = context.getBean(InMemorySpanStore.class);
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(10))
                .until(() -> store.recentSummaries(10, summary -> true).size() >= 2);
            FinishedSpan run = store.trace(store.recentSummaries(1, summary -> true).get(0).traceId()).get(0);
            assertThat(heartbeat.runs.get()).isGreaterThanOrEqualTo(2);
            assertThat(run.getName()).isEqualTo("task heartbeat.beat");
            assertThat(run.getKind()).isNull();
            assertThat(run.getParentId()).isNull();
        }
    }

    @Test
    void aWebClientCallOfAReactiveScheduledMethodIsAChildOfItsTaskSpan() {
        try (ConfigurableApplicationContext context = start("--spring.main.sources="
                + ReactiveCallerApp.class.getName())) {
            InMemorySpanStore store = context.getBean(InMemorySpanStore.class);
            FinishedSpan client = await().pollInterval(Duration.ofMillis(10))
                .atMost(Duration.ofSeconds(10))
                .until(() -> store.recentSummaries(20, summary -> true)
                    .stream()
                    .flatMap(summary -> store.trace(summary.traceId()).stream())
                    .filter(span -> span.getKind() == io.micrometer.tracing.Span.Kind.CLIENT)
                    .findFirst()
                    .orElse(null), java.util.Objects::nonNull);
            List<FinishedSpan> trace = store.trace(client.getTraceId());
            assertThat(trace).filteredOn(span -> span.getName().equals("task reactiveCaller.call"))
                .singleElement()
                .satisfies(task -> assertThat(client.getParentId()).isEqualTo(task.getSpanId()));
        }
    }

    @Test
    void bootsObservationSwitchForScheduledTasksLeavesThemUntraced() {
        try (ConfigurableApplicationContext context = start(
                "--management.observations.enable.tasks.scheduled.execution=false")) {
            Heartbeat heartbeat = context.getBean(Heartbeat.class);
            InMemorySpanStore store = context.getBean(InMemorySpanStore.class);
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(10))
                .until(() -> heartbeat.runs.get() >= 5);
            assertThat(store.recentSummaries(10, summary -> true)).isEmpty();
        }
    }

    private static ConfigurableApplicationContext start(String... args) {
        SpringApplication application = new SpringApplication(HeartbeatApp.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        String[] all = new String[args.length + 1];
        all[0] = "--spring.application.name=scheduled-test";
        System.arraycopy(args, 0, all, 1, args.length);
        return application.run(all);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableScheduling
    static class HeartbeatApp {

        @Bean
        Heartbeat heartbeat() {
            return new Heartbeat();
        }

    }

    @SpringBootConfiguration
    static class ReactiveCallerApp {

        @Bean
        ReactiveCaller reactiveCaller(WebClient.Builder builder) {
            return new ReactiveCaller(builder.clone()
                .exchangeFunction(request -> Mono.just(ClientResponse.create(HttpStatus.OK).body("stub").build()))
                .build());
        }

    }

    static class ReactiveCaller {

        private final WebClient client;

        ReactiveCaller(WebClient client) {
            this.client = client;
        }

        @Scheduled(fixedRate = 50)
        Mono<String> call() {
            return client.get().uri("http://example.invalid/stub").retrieve().bodyToMono(String.class);
        }

    }

    static class Heartbeat {

        final AtomicInteger runs = new AtomicInteger();

        @Scheduled(fixedRate = 20)
        void beat() {
            runs.incrementAndGet();
        }

    }

}
