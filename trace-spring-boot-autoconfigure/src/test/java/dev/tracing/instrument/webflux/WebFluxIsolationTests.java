package dev.tracing.instrument.webflux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Isolation under load: 1,000 concurrent traced requests whose handlers hop threads and call a
 * downstream with WebClient never see each other's spans, neither in the span tree nor in the
 * MDC of their log lines, and leave no span or trace id on any thread.
 */
@SpringBootTest(classes = WebFluxIsolationTests.IsolationApp.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=isolation-test",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "trace.export.memory.max-spans=20000",
                "trace.reactor.context-propagation=auto",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class WebFluxIsolationTests {

    static final int REQUESTS = 1000;

    static final int CONCURRENCY = 100;

    /** The log places of /iso, each in the request's SERVER span. */
    static final List<String> SERVER_PLACES = List.of("handler", "publishOn", "boundedElastic", "delayElements",
            "afterClient", "flatMapAfterClient");

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    CurrentTraceContext currentTraceContext;

    /** One captured log line: the MDC is read when the event is appended, on the logging thread. */
    record Line(String where, String marker, String thread, String traceId, String spanId) {
    }

    /** Reads each event's MDC as it is logged (Logback reads it lazily otherwise, on another thread). */
    static final class MdcCapture extends AppenderBase<ILoggingEvent> {

        final ConcurrentLinkedQueue<Line> lines = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            Object[] args = event.getArgumentArray();
            Map<String, String> mdc = event.getMDCPropertyMap();
            lines.add(new Line(String.valueOf(args[0]), String.valueOf(args[1]), event.getThreadName(),
                    mdc.get("traceId"), mdc.get("spanId")));
        }

    }

    record Caller(String marker, String traceId, String spanId) {

        String traceparent() {
            return "00-" + traceId + "-" + spanId + "-01";
        }
    }

    static String randomHex(int chars) {
        StringBuilder hex = new StringBuilder(chars);
        while (hex.length() < chars) {
            hex.append(String.format("%016x", ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)));
        }
        return hex.substring(0, chars);
    }

    @Test
    void concurrentRequestsNeverSeeEachOthersSpans() throws Exception {
        List<Caller> callers = new ArrayList<>();
        Set<String> traceIds = new LinkedHashSet<>();
        for (int i = 0; i < REQUESTS; i++) {
            String traceId = randomHex(32);
            if (traceIds.add(traceId)) {
                callers.add(new Caller("m" + i, traceId, randomHex(16)));
            }
        }
        assertThat(callers).hasSize(REQUESTS);
        Map<String, Caller> byMarker = callers.stream().collect(Collectors.toMap(Caller::marker, Function.identity()));

        MdcCapture capture = new MdcCapture();
        Logger logger = (Logger) LoggerFactory.getLogger(IsolationApp.LOGGER_NAME);
        capture.setContext(logger.getLoggerContext());
        capture.start();
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        logger.addAppender(capture);
        ConnectionProvider provider = ConnectionProvider.builder("isolation-test-client")
            .maxConnections(CONCURRENCY + 28)
            .pendingAcquireMaxCount(-1)
            .build();
        Map<String, String> bodies = new ConcurrentHashMap<>();
        try {
            WebClient testClient = WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(provider)))
                .baseUrl("http://127.0.0.1:" + port)
                .build();
            Flux.fromIterable(callers)
                .flatMap(caller -> testClient.get()
                    .uri("/iso/{marker}", caller.marker())
                    .header("traceparent", caller.traceparent())
                    .retrieve()
                    .bodyToMono(String.class)
                    .doOnNext(body -> bodies.put(caller.marker(), body)), CONCURRENCY)
                .then()
                .block(Duration.ofSeconds(60));
        }
        finally {
            logger.detachAppender(capture);
            logger.setAdditive(true);
            capture.stop();
            provider.disposeLater().block(Duration.ofSeconds(5));
        }
        assertThat(bodies).hasSize(REQUESTS);
        bodies.forEach((marker, body) -> assertThat(body).isEqualTo("ok:" + marker + ":down:" + marker));

        // spans end after the responses are written: wait for all three of every trace
        Map<String, List<FinishedSpan>> traces = awaitTraces(callers, 3);

        Map<String, String> serverSpanIds = new HashMap<>();
        Map<String, String> downstreamSpanIds = new HashMap<>();
        for (Caller caller : callers) {
            List<FinishedSpan> spans = traces.get(caller.traceId());
            FinishedSpan server = only(spans, Span.Kind.SERVER, "GET /iso/{marker}");
            FinishedSpan client = only(spans, Span.Kind.CLIENT, "GET /iso-down/{marker}");
            FinishedSpan downstream = only(spans, Span.Kind.SERVER, "GET /iso-down/{marker}");
            assertThat(spans).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(caller.traceId()));
            assertThat(server.getParentId()).as("SERVER parent of %s", caller.marker()).isEqualTo(caller.spanId());
            assertThat(server.getTags()).containsEntry("url.path", "/iso/" + caller.marker());
            assertThat(client.getParentId()).as("CLIENT parent of %s", caller.marker()).isEqualTo(server.getSpanId());
            assertThat(client.getTags()).containsEntry("url.full",
                    "http://127.0.0.1:" + port + "/iso-down/" + caller.marker())
                .containsEntry("http.response.status_code", "200");
            assertThat(downstream.getParentId()).as("downstream parent of %s", caller.marker())
                .isEqualTo(client.getSpanId());
            assertThat(downstream.getTags()).containsEntry("url.path", "/iso-down/" + caller.marker());
            assertThat(IsolationApp.downstreamTraceparents.get(caller.marker()))
                .containsExactly("00-" + caller.traceId() + "-" + client.getSpanId() + "-01");
            serverSpanIds.put(caller.marker(), server.getSpanId());
            downstreamSpanIds.put(caller.marker(), downstream.getSpanId());
        }

        // every log line carries its own request's trace id, and the span it was logged in
        List<Line> lines = new ArrayList<>(capture.lines);
        Map<String, List<Line>> linesByMarker = lines.stream().collect(Collectors.groupingBy(Line::marker));
        assertThat(linesByMarker).hasSize(REQUESTS);
        List<Line> crossTalk = new ArrayList<>();
        for (Line line : lines) {
            Caller caller = byMarker.get(line.marker());
            String expectedSpan = "downstream".equals(line.where()) ? downstreamSpanIds.get(line.marker())
                    : serverSpanIds.get(line.marker());
            if (!caller.traceId().equals(line.traceId()) || !expectedSpan.equals(line.spanId())) {
                crossTalk.add(line);
            }
        }
        assertThat(crossTalk).as("log lines with another request's (or no) trace").isEmpty();
        linesByMarker.forEach((marker, own) -> {
            List<String> places = new ArrayList<>(SERVER_PLACES);
            places.add("delayElements");
            places.add("downstream");
            assertThat(own).extracting(Line::where).as("log places of %s", marker)
                .containsExactlyInAnyOrderElementsOf(places);
        });
        // the chains did hop threads
        assertThat(lines).extracting(Line::thread)
            .anyMatch(thread -> thread.startsWith("parallel-"))
            .anyMatch(thread -> thread.startsWith("boundedElastic-"))
            .anyMatch(thread -> thread.startsWith("reactor-http-"));

        assertNoThreadHasATrace();
    }

    /** Runs a probe on every thread the requests used, and checks that none has a span, MDC ids or an Observation. */
    void assertNoThreadHasATrace() throws InterruptedException {
        List<String> leaks = new CopyOnWriteArrayList<>();
        Set<String> probed = ConcurrentHashMap.newKeySet();
        Runnable probe = () -> {
            probed.add(Thread.currentThread().getName());
            TraceContext context = currentTraceContext.context();
            String traceId = MDC.get("traceId");
            String spanId = MDC.get("spanId");
            Object observation = ObservationThreadLocalAccessor.getInstance().getValue();
            if (context != null || traceId != null || spanId != null || observation != null) {
                leaks.add(Thread.currentThread().getName() + ": context=" + context + " MDC traceId=" + traceId
                        + " spanId=" + spanId + " observation=" + observation);
            }
        };
        // parallel: round-robin over its workers
        int parallelRounds = Schedulers.DEFAULT_POOL_SIZE * 4;
        runAll(Schedulers.parallel(), probe, parallelRounds, false);
        // bounded elastic: tasks that wait for each other occupy distinct workers, so every cached one runs one
        runAll(Schedulers.boundedElastic(), probe, Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE, true);
        // the Reactor Netty event loops, which the server and both clients ran on
        Set<EventExecutor> loops = new LinkedHashSet<>();
        addAll(loops, HttpResources.get().onServer(true));
        addAll(loops, HttpResources.get().onClient(true));
        for (EventExecutor loop : loops) {
            try {
                loop.submit(probe).get(5, TimeUnit.SECONDS);
            }
            catch (Exception ex) {
                throw new AssertionError("probe on " + loop + " failed", ex);
            }
        }
        assertThat(probed).anyMatch(thread -> thread.startsWith("parallel-"))
            .anyMatch(thread -> thread.startsWith("boundedElastic-"))
            .anyMatch(thread -> thread.startsWith("reactor-http-"));
        assertThat(leaks).as("threads left with a trace (probed %s)", probed).isEmpty();
    }

    static void addAll(Set<EventExecutor> loops, EventLoopGroup group) {
        for (EventExecutor loop : group) {
            loops.add(loop);
        }
    }

    static void runAll(Scheduler scheduler, Runnable probe, int count, boolean waitForEachOther)
            throws InterruptedException {
        CountDownLatch started = new CountDownLatch(count);
        CountDownLatch done = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            scheduler.schedule(() -> {
                try {
                    probe.run();
                    started.countDown();
                    if (waitForEachOther) {
                        started.await(2, TimeUnit.SECONDS);
                    }
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                finally {
                    done.countDown();
                }
            });
        }
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    }

    Map<String, List<FinishedSpan>> awaitTraces(List<Caller> callers, int spansEach) throws InterruptedException {
        Map<String, List<FinishedSpan>> traces = new HashMap<>();
        for (Caller caller : callers) {
            String traceId = caller.traceId();
            traces.put(traceId, TraceAssertions.awaitSpans("spans of " + caller.marker() + " (" + traceId + ")",
                    Duration.ofSeconds(20), spansEach, () -> store.trace(traceId)));
        }
        return traces;
    }

    static FinishedSpan only(List<FinishedSpan> spans, Span.Kind kind, String name) {
        List<FinishedSpan> matching = spans.stream()
            .filter(span -> span.getKind() == kind && name.equals(span.getName()))
            .toList();
        assertThat(matching).as("%s spans named %s in %s", kind, name, spans).hasSize(1);
        return matching.get(0);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class IsolationApp {

        static final String LOGGER_NAME = "dev.tracing.isolation";

        /** Every traceparent header value that /iso-down received, by the request's marker. */
        static final Map<String, List<String>> downstreamTraceparents = new ConcurrentHashMap<>();

        @RestController
        static class IsolationEndpoints {

            private static final org.slf4j.Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

            private final WebClient.Builder webClientBuilder;

            private final ApplicationContext context;

            private volatile WebClient client;

            IsolationEndpoints(WebClient.Builder webClientBuilder, ApplicationContext context) {
                this.webClientBuilder = webClientBuilder;
                this.context = context;
            }

            /**
             * Boot's (traced) builder, with a pool large enough for the test's concurrency, connecting
             * through the trimming connector as Boot's own connector would.
             */
            private WebClient client() {
                WebClient result = client;
                if (result == null) {
                    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
                    ConnectionProvider provider = ConnectionProvider.builder("isolation-downstream")
                        .maxConnections(CONCURRENCY + 28)
                        .pendingAcquireMaxCount(-1)
                        .build();
                    result = webClientBuilder.clone()
                        .clientConnector(new ObservationEntryTrimmingConnector(
                                new ReactorClientHttpConnector(HttpClient.create(provider))))
                        .baseUrl("http://127.0.0.1:" + port)
                        .build();
                    client = result;
                }
                return result;
            }

            private static void log(String where, String marker) {
                logger.info("{} {}", where, marker);
            }

            @GetMapping("/iso/{marker}")
            Mono<String> iso(@PathVariable String marker) {
                WebClient client = client();
                return Mono.just(marker)
                    .doOnNext(m -> log("handler", m))
                    .publishOn(Schedulers.parallel())
                    .doOnNext(m -> log("publishOn", m))
                    .flatMap(m -> Mono.fromCallable(() -> {
                        log("boundedElastic", m);
                        return m;
                    }).subscribeOn(Schedulers.boundedElastic()))
                    .flatMapMany(m -> Flux.range(0, 2).delayElements(Duration.ofMillis(2)))
                    .doOnNext(i -> log("delayElements", marker))
                    .then(Mono.defer(() -> client.get()
                        .uri("/iso-down/{marker}", marker)
                        .retrieve()
                        .bodyToMono(String.class)))
                    .doOnNext(body -> log("afterClient", marker))
                    .flatMap(body -> Mono.just(body)
                        .delayElement(Duration.ofMillis(1))
                        .doOnNext(b -> log("flatMapAfterClient", marker)))
                    .subscribeOn(Schedulers.parallel())
                    .map(body -> "ok:" + marker + ":" + body);
            }

            @GetMapping("/iso-down/{marker}")
            Mono<String> downstream(@PathVariable String marker, ServerHttpRequest request) {
                List<String> values = request.getHeaders().get("traceparent");
                downstreamTraceparents.put(marker, values == null ? List.of() : List.copyOf(values));
                return Mono.just(marker)
                    .publishOn(Schedulers.boundedElastic())
                    .doOnNext(m -> log("downstream", m))
                    .map(m -> "down:" + m);
            }

        }

    }

}
