package dev.tracing.actuate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code traces} endpoint read over HTTP from a running server; subclasses choose the web
 * stack. Spans are made through the tracer with explicit times, so ordering and durations are
 * known.
 */
abstract class TracesEndpointHttpTests {

    static final JsonMapper json = JsonMapper.builder().build();

    static final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    Tracer tracer;

    @Autowired
    InMemorySpanStore store;

    /** Oldest: 50 ms, one span. */
    String slowOld;

    /** Middle: 5 ms, an error on its child. */
    String failed;

    /** Newest: 200 ms, a root with two children and a grandchild. */
    String nested;

    Span nestedRoot;

    Span nestedChild;

    Span nestedGrandchild;

    Span nestedSecondChild;

    @BeforeEach
    void recordTraces() {
        store.clear();
        long now = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());

        Span a = tracer.spanBuilder().setNoParent().name("old-work").startTimestamp(now - 10_000_000, TimeUnit.MICROSECONDS).start();
        a.end(now - 10_000_000 + 50_000, TimeUnit.MICROSECONDS);
        slowOld = a.context().traceId();

        Span b = tracer.spanBuilder().setNoParent().name("failing").kind(Span.Kind.SERVER)
            .startTimestamp(now - 5_000_000, TimeUnit.MICROSECONDS).start();
        Span bChild = tracer.spanBuilder().setParent(b.context()).name("step").kind(Span.Kind.CLIENT)
            .startTimestamp(now - 5_000_000 + 1_000, TimeUnit.MICROSECONDS).start();
        bChild.error(new IllegalStateException("boom"));
        bChild.end(now - 5_000_000 + 3_000, TimeUnit.MICROSECONDS);
        b.end(now - 5_000_000 + 5_000, TimeUnit.MICROSECONDS);
        failed = b.context().traceId();

        nestedRoot = tracer.spanBuilder().setNoParent().name("get /api/orders").kind(Span.Kind.SERVER)
            .tag("http.request.method", "GET").startTimestamp(now - 1_000_000, TimeUnit.MICROSECONDS).start();
        nestedChild = tracer.spanBuilder().setParent(nestedRoot.context()).name("load").tag("db", "orders")
            .startTimestamp(now - 1_000_000 + 10_000, TimeUnit.MICROSECONDS).start();
        nestedGrandchild = tracer.spanBuilder().setParent(nestedChild.context()).name("query")
            .startTimestamp(now - 1_000_000 + 20_000, TimeUnit.MICROSECONDS).start();
        nestedGrandchild.event("rows read", now - 1_000_000 + 25_000, TimeUnit.MICROSECONDS);
        nestedGrandchild.end(now - 1_000_000 + 30_000, TimeUnit.MICROSECONDS);
        nestedChild.end(now - 1_000_000 + 40_000, TimeUnit.MICROSECONDS);
        nestedSecondChild = tracer.spanBuilder().setParent(nestedRoot.context()).name("render")
            .startTimestamp(now - 1_000_000 + 50_000, TimeUnit.MICROSECONDS).start();
        nestedSecondChild.end(now - 1_000_000 + 60_000, TimeUnit.MICROSECONDS);
        nestedRoot.end(now - 1_000_000 + 200_000, TimeUnit.MICROSECONDS);
        nested = nestedRoot.context().traceId();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode getJson(String path) throws Exception {
        HttpResponse<String> response = get(path);
        assertThat(response.statusCode()).as("status of %s", path).isEqualTo(200);
        return json.readTree(response.body());
    }

    static List<String> traceIds(JsonNode summaries) {
        List<String> ids = new ArrayList<>();
        summaries.forEach(summary -> ids.add(summary.get("traceId").asString()));
        return ids;
    }

    @Test
    void listsSummariesNewestFirst() throws Exception {
        JsonNode summaries = getJson("/actuator/traces");
        assertThat(traceIds(summaries)).containsExactly(nested, failed, slowOld);
        JsonNode newest = summaries.get(0);
        assertThat(newest.get("name").asString()).isEqualTo("get /api/orders");
        assertThat(newest.get("serviceName").asString()).isEqualTo("endpoint-test");
        assertThat(newest.get("spanCount").asInt()).isEqualTo(4);
        assertThat(newest.get("duration").asLong()).isEqualTo(200_000);
        assertThat(Instant.EPOCH.plusNanos(newest.get("timestamp").asLong() * 1000))
            .isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(newest.get("error").asBoolean()).isFalse();
        assertThat(summaries.get(1).get("error").asBoolean()).isTrue();
        assertThat(summaries.get(1).get("spanCount").asInt()).isEqualTo(2);
    }

    @Test
    void filtersByLimitMinDurationAndError() throws Exception {
        assertThat(traceIds(getJson("/actuator/traces?limit=2"))).containsExactly(nested, failed);
        assertThat(traceIds(getJson("/actuator/traces?minDuration=40"))).containsExactly(nested, slowOld);
        assertThat(traceIds(getJson("/actuator/traces?error=true"))).containsExactly(failed);
        assertThat(traceIds(getJson("/actuator/traces?error=false&limit=1"))).containsExactly(nested);
        assertThat(traceIds(getJson("/actuator/traces?limit=100000"))).hasSize(3);
        assertThat(get("/actuator/traces?limit=0").statusCode()).isEqualTo(400);
    }

    @Test
    void oneTraceIsZipkinV2Json() throws Exception {
        JsonNode spans = getJson("/actuator/traces/" + nested);
        assertThat(spans.isArray()).isTrue();
        assertThat(spans.size()).isEqualTo(4);
        JsonNode root = spans.get(0);
        assertThat(root.get("traceId").asString()).isEqualTo(nested);
        assertThat(root.get("id").asString()).isEqualTo(nestedRoot.context().spanId());
        assertThat(root.has("parentId")).isFalse();
        assertThat(root.get("kind").asString()).isEqualTo("SERVER");
        assertThat(root.get("name").asString()).isEqualTo("get /api/orders");
        assertThat(root.get("duration").asLong()).isEqualTo(200_000);
        assertThat(root.get("localEndpoint").get("serviceName").asString()).isEqualTo("endpoint-test");
        assertThat(root.get("tags").get("http.request.method").asString()).isEqualTo("GET");
        JsonNode grandchild = spans.get(2);
        assertThat(grandchild.get("parentId").asString()).isEqualTo(nestedChild.context().spanId());
        assertThat(grandchild.get("annotations").get(0).get("value").asString()).isEqualTo("rows read");
        assertThat(grandchild.get("annotations").get(0).get("timestamp").asLong())
            .isEqualTo(grandchild.get("timestamp").asLong() + 5_000);

        JsonNode failing = getJson("/actuator/traces/" + failed);
        assertThat(failing.get(1).get("tags").get("error").asString()).isEqualTo("boom");
    }

    @Test
    void treeViewNestsSpansByParent() throws Exception {
        JsonNode roots = getJson("/actuator/traces/" + nested + "?view=tree");
        assertThat(roots.size()).isEqualTo(1);
        JsonNode root = roots.get(0);
        assertThat(root.get("name").asString()).isEqualTo("get /api/orders");
        assertThat(root.get("kind").asString()).isEqualTo("SERVER");
        assertThat(root.get("duration").asLong()).isEqualTo(200_000);
        JsonNode children = root.get("children");
        assertThat(children.size()).isEqualTo(2);
        assertThat(children.get(0).get("name").asString()).isEqualTo("load");
        assertThat(children.get(0).get("tags").get("db").asString()).isEqualTo("orders");
        assertThat(children.get(1).get("name").asString()).isEqualTo("render");
        assertThat(children.get(0).get("children").get(0).get("name").asString()).isEqualTo("query");
        assertThat(children.get(0).get("children").get(0).get("duration").asLong()).isEqualTo(10_000);
    }

    @Test
    void spansWhoseParentIsMissingAreTopLevelInTheTree() throws Exception {
        store.clear();
        Span orphan = tracer.spanBuilder().setParent(nestedRoot.context()).name("late").start();
        orphan.end();
        JsonNode roots = getJson("/actuator/traces/" + nested + "?view=tree");
        assertThat(roots.size()).isEqualTo(1);
        assertThat(roots.get(0).get("name").asString()).isEqualTo("late");
        // the summary names the earliest span when the root is not stored
        assertThat(getJson("/actuator/traces").get(0).get("name").asString()).isEqualTo("late");
    }

    @Test
    void unknownTraceIs404AndMalformedIdIs400() throws Exception {
        assertThat(get("/actuator/traces/0123456789abcdef0123456789abcdef").statusCode()).isEqualTo(404);
        assertThat(get("/actuator/traces/not-a-trace-id").statusCode()).isEqualTo(400);
        assertThat(get("/actuator/traces/0123456789abcdefg123456789abcdef").statusCode()).isEqualTo(400);
        assertThat(get("/actuator/traces/0123").statusCode()).isEqualTo(400);
        assertThat(get("/actuator/traces/" + nested + "?view=sideways").statusCode()).isEqualTo(400);
    }

    @Test
    void upperCaseIdFindsTheTrace() throws Exception {
        assertThat(getJson("/actuator/traces/" + nested.toUpperCase()).size()).isEqualTo(4);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

    }

}
