package dev.tracing.compatibility;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.kafka.test.context.EmbeddedKafka;

import static dev.tracing.compatibility.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What must hold on every classpath: one request to {@code /front} is one trace with exactly one
 * SERVER span per request, one CLIENT span per call, one PRODUCER and one CONSUMER span for the
 * record, each call and the record carrying exactly one {@code traceparent} (and no other trace
 * header), and the {@code @NewSpan} method a child of the SERVER span. Subclasses run it on
 * their classpath (see this module's pom) and add what their combination promises.
 */
@SpringBootTest(classes = CompatibilityApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=compat",
                "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
                "spring.kafka.consumer.auto-offset-reset=earliest", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0",
                "management.observations.annotations.enabled=true",
                "management.endpoints.web.exposure.include=prometheus,traces",
                "management.metrics.distribution.percentiles-histogram.http.server.requests=true",
                "management.tracing.sampling.probability=1.0", "logging.level.org.apache.kafka=warn",
                "logging.level.kafka=warn", "logging.level.state.change.logger=warn" })
@EmbeddedKafka(partitions = 1, topics = CompatibilityApp.TOPIC)
abstract class ExchangeSpansTests {


    /** Every trace {@link #callFront()} has made in this JVM. */
    static final List<Trace> CALLED = new CopyOnWriteArrayList<>();

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Autowired
    InMemorySpanStore store;

    /** Whether this classpath has an ObservationRegistry, so Observations become spans. */
    abstract boolean observationsTraced();

    /** Sends {@code GET /front} and returns the finished trace and its spans. */
    Trace callFront() throws Exception {
        HttpResponse<String> response = get("/front");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = response.body();
        int expected = observationsTraced() ? 11 : 8;
        await().atMost(Duration.ofSeconds(30))
            .until(() -> store.trace(traceId).size() >= expected && CompatibilityApp.received.containsKey(traceId));
        Waits.assertNoMoreSpans(store, traceId, expected);
        Trace trace = new Trace(traceId, store.trace(traceId));
        CALLED.add(trace);
        return trace;
    }

    HttpResponse<String> get(String path) throws Exception {
        // a client (and so a connection) per request: Reactor Netty 1.3.6 can stop reading a
        // keep-alive connection whose next request arrives early (reactor-netty#4361)
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void oneSpanPerExchangeAndOneSetOfHeadersOnTheWire() throws Exception {
        Trace trace = callFront();
        List<FinishedSpan> spans = trace.spans();

        assertThat(spans).filteredOn(kind(Span.Kind.SERVER)).hasSize(3);
        assertThat(spans).filteredOn(kind(Span.Kind.CLIENT)).hasSize(2);
        assertThat(spans).filteredOn(kind(Span.Kind.PRODUCER)).hasSize(1);
        assertThat(spans).filteredOn(kind(Span.Kind.CONSUMER)).hasSize(1);
        assertThat(spans).as("every span in the trace").hasSize(observationsTraced() ? 11 : 8);

        FinishedSpan front = trace.one(s -> s.getKind() == Span.Kind.SERVER && s.getParentId() == null);
        assertThat(front.getName()).isEqualTo("GET /front");
        List<FinishedSpan> clients = trace.all(kind(Span.Kind.CLIENT));
        assertThat(clients).allSatisfy(client -> assertThat(client.getParentId()).isEqualTo(front.getSpanId()));
        List<FinishedSpan> backs = trace.all(s -> s.getKind() == Span.Kind.SERVER && s.getParentId() != null);
        assertThat(backs).extracting(FinishedSpan::getParentId)
            .containsExactlyInAnyOrderElementsOf(clients.stream().map(FinishedSpan::getSpanId).toList());

        // each call carried one traceparent naming its CLIENT span, and nothing else
        List<List<String>> headers = CompatibilityApp.backHeaders.get(trace.traceId());
        assertThat(headers).hasSize(2).allSatisfy(set -> assertThat(set).hasSize(1));
        assertThat(headers.stream().map(set -> set.get(0)))
            .containsExactlyInAnyOrderElementsOf(clients.stream()
                .map(client -> "traceparent=00-" + trace.traceId() + "-" + client.getSpanId() + "-01")
                .toList());

        FinishedSpan producer = trace.one(kind(Span.Kind.PRODUCER));
        FinishedSpan consumer = trace.one(kind(Span.Kind.CONSUMER));
        assertThat(producer.getParentId()).isEqualTo(front.getSpanId());
        assertThat(consumer.getParentId()).isEqualTo(producer.getSpanId());
        CompatibilityApp.Received received = CompatibilityApp.received.get(trace.traceId());
        assertThat(received.traceparents()).containsExactly("00-" + trace.traceId() + "-" + producer.getSpanId() + "-01");
        assertThat(received.currentSpanId()).isEqualTo(consumer.getSpanId());

        FinishedSpan annotated = trace.one(s -> s.getName().equals("annotated work"));
        assertThat(annotated.getParentId()).isEqualTo(front.getSpanId());
        assertThat(annotated.getTags()).containsEntry("where", "front");
    }

    @Test
    void theStartersTracerIsTheOnlyTracer() {
        assertThat(context.getBeansOfType(Tracer.class).values()).singleElement()
            .satisfies(tracer -> assertThat(tracer.getClass().getName()).startsWith("dev.tracing."));
    }

    static Predicate<FinishedSpan> kind(Span.Kind kind) {
        return span -> span.getKind() == kind;
    }

    record Trace(String traceId, List<FinishedSpan> spans) {

        FinishedSpan one(Predicate<FinishedSpan> filter) {
            List<FinishedSpan> matching = all(filter);
            assertThat(matching).as("spans of %s", spans).hasSize(1);
            return matching.get(0);
        }

        List<FinishedSpan> all(Predicate<FinishedSpan> filter) {
            return spans.stream().filter(filter).toList();
        }

    }

}
