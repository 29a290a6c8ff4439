package dev.tracing.actuate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.awaitility.core.ThrowingRunnable;
import org.htmlunit.WebClient;
import org.htmlunit.html.DomElement;
import org.htmlunit.html.DomNode;
import org.htmlunit.html.HtmlAnchor;
import org.htmlunit.html.HtmlCheckBoxInput;
import org.htmlunit.html.HtmlInput;
import org.htmlunit.html.HtmlPage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.tracing.testing.Waits.await;
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

    /** The actuator base path: the servlet variant moves it, so the page's relative URLs are tested. */
    @Value("${management.endpoints.web.base-path:/actuator}")
    String base;

    /** The traces endpoint's path below {@link #base}: the reactive variant maps it elsewhere. */
    @Value("${management.endpoints.web.path-mapping.traces:traces}")
    String tracesMapping;

    /** The page's path below {@link #base}: the reactive variant maps it one level deeper. */
    @Value("${management.endpoints.web.path-mapping.traceview:traceview}")
    String viewMapping;

    String traces() {
        return base + "/" + tracesMapping;
    }

    String view() {
        return base + "/" + viewMapping;
    }

    @Autowired
    Tracer tracer;

    @Autowired
    InMemorySpanStore store;

    @Autowired
    Propagator propagator;

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
        JsonNode summaries = getJson(traces());
        assertThat(traceIds(summaries)).containsExactly(nested, failed, slowOld);
        JsonNode newest = summaries.get(0);
        assertThat(newest.get("name").asString()).isEqualTo("get /api/orders");
        assertThat(newest.get("serviceName").asString()).isEqualTo("endpoint-test");
        assertThat(newest.get("spanCount").asInt()).isEqualTo(4);
        assertThat(newest.get("duration").asLong()).isEqualTo(200_000);
        assertThat(Instant.EPOCH.plusNanos(newest.get("timestamp").asLong() * 1000))
            .isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(newest.get("error").asBoolean()).isFalse();
        // why it was recorded: the probability (no rule, no caller's decision, not kept)
        assertThat(newest.get("sampledBy").asString()).isEqualTo("default");
        assertThat(summaries.get(1).get("error").asBoolean()).isTrue();
        assertThat(summaries.get(1).get("spanCount").asInt()).isEqualTo(2);
    }

    @Test
    void filtersByLimitMinDurationAndError() throws Exception {
        assertThat(traceIds(getJson(traces() + "?limit=2"))).containsExactly(nested, failed);
        assertThat(traceIds(getJson(traces() + "?minDuration=40"))).containsExactly(nested, slowOld);
        assertThat(traceIds(getJson(traces() + "?error=true"))).containsExactly(failed);
        assertThat(traceIds(getJson(traces() + "?error=false&limit=1"))).containsExactly(nested);
        assertThat(traceIds(getJson(traces() + "?limit=100000"))).hasSize(3);
        // milliseconds whose microseconds do not fit a long: longer than any trace
        assertThat(traceIds(getJson(traces() + "?minDuration=" + Long.MAX_VALUE))).isEmpty();
        assertThat(traceIds(getJson(traces() + "?minDuration=" + (Long.MAX_VALUE / 1000 + 1)))).isEmpty();
        assertThat(get(traces() + "?limit=0").statusCode()).isEqualTo(400);
    }

    @Test
    void filtersByAPartOfTheRootNameAndByItsKind() throws Exception {
        assertThat(traceIds(getJson(traces() + "?name=ORDERS"))).containsExactly(nested);
        assertThat(traceIds(getJson(traces() + "?name=fail"))).containsExactly(failed);
        assertThat(traceIds(getJson(traces() + "?kind=server"))).containsExactly(nested, failed);
        assertThat(traceIds(getJson(traces() + "?kind=SERVER&error=true"))).containsExactly(failed);
        assertThat(get(traces() + "?kind=sideways").statusCode()).isEqualTo(400);
        // a root of no kind is LOCAL, as the page labels it
        assertThat(traceIds(getJson(traces() + "?kind=local"))).containsExactly(slowOld);
        assertThat(traceIds(getJson(traces() + "?kind=INTERNAL"))).containsExactly(slowOld);
    }

    @Test
    void oneTraceIsZipkinV2Json() throws Exception {
        JsonNode spans = getJson(traces() + "/" + nested);
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

        JsonNode failing = getJson(traces() + "/" + failed);
        assertThat(failing.get(1).get("tags").get("error").asString()).isEqualTo("boom");
    }

    @Test
    void treeViewNestsSpansByParent() throws Exception {
        JsonNode roots = getJson(traces() + "/" + nested + "?view=tree");
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
    void treeViewShowsAFailuresTypeAsTheZipkinViewDoes() throws Exception {
        JsonNode step = getJson(traces() + "/" + failed + "?view=tree").get(0).get("children").get(0);
        assertThat(step.get("tags").get("error").asString()).isEqualTo("boom");
        assertThat(step.get("tags").get("exception.type").asString()).isEqualTo("java.lang.IllegalStateException");
        assertThat(getJson(traces() + "/" + failed).get(1).get("tags").get("exception.type").asString())
            .isEqualTo("java.lang.IllegalStateException");
    }

    @Test
    void eventsAFilterLeftWithoutATimeOrValueAreLeftOutOfBothViews() throws Exception {
        store.clear();
        Span span = tracer.nextSpan().name("filtered").start();
        span.event("kept");
        span.end();
        // what a SpanFilter redacting events may leave
        dev.tracing.core.RecordedSpan finished = (dev.tracing.core.RecordedSpan) store.trace(span.context().traceId())
            .get(0);
        List<Map.Entry<Long, String>> events = new ArrayList<>(finished.getEvents());
        events.add(new java.util.AbstractMap.SimpleEntry<>(1L, null));
        events.add(new java.util.AbstractMap.SimpleEntry<>(null, "no time"));
        finished.setEvents(events);
        JsonNode tree = getJson(traces() + "/" + span.context().traceId() + "?view=tree").get(0);
        assertThat(tree.get("annotations")).singleElement()
            .satisfies(event -> assertThat(event.get("value").asString()).isEqualTo("kept"));
        JsonNode zipkin = getJson(traces() + "/" + span.context().traceId()).get(0);
        assertThat(zipkin.get("annotations")).singleElement()
            .satisfies(event -> assertThat(event.get("value").asString()).isEqualTo("kept"));
    }

    @Test
    void aChainDeeperThanTheTreeShowsIsNestedToItsLastLevelAndListedBelowIt() throws Exception {
        // deeper than JSON writers nest by default (500 levels, two per span)
        store.clear();
        int length = 300;
        List<Span> chain = new ArrayList<>();
        Span previous = tracer.spanBuilder().setNoParent().name("d0").start();
        chain.add(previous);
        for (int i = 1; i < length; i++) {
            previous = tracer.spanBuilder().setParent(previous.context()).name("d" + i).start();
            chain.add(previous);
        }
        for (int i = length - 1; i >= 0; i--) {
            chain.get(i).end();
        }
        JsonNode node = getJson(traces() + "/" + chain.get(0).context().traceId() + "?view=tree").get(0);
        for (int level = 2; level <= TracesEndpoint.MAX_TREE_DEPTH; level++) {
            assertThat(node.get("children").size()).isEqualTo(1);
            node = node.get("children").get(0);
            assertThat(node.get("name").asString()).isEqualTo("d" + (level - 1));
        }
        JsonNode below = node.get("children");
        assertThat(below.size()).isEqualTo(length - TracesEndpoint.MAX_TREE_DEPTH);
        for (int i = 0; i < below.size(); i++) {
            Span span = chain.get(TracesEndpoint.MAX_TREE_DEPTH + i);
            assertThat(below.get(i).get("name").asString()).isEqualTo("d" + (TracesEndpoint.MAX_TREE_DEPTH + i));
            assertThat(below.get(i).get("parentId").asString())
                .isEqualTo(chain.get(TracesEndpoint.MAX_TREE_DEPTH + i - 1).context().spanId());
            assertThat(below.get(i).get("children")).isEmpty();
        }
    }

    @Test
    void theDetailsOfASpanBelowTheDeepestLevelNameItsOwnParent() throws Exception {
        store.clear();
        List<Span> chain = new ArrayList<>();
        Span previous = tracer.spanBuilder().setNoParent().name("d0").start();
        chain.add(previous);
        for (int i = 1; i < TracesEndpoint.MAX_TREE_DEPTH + 30; i++) {
            previous = tracer.spanBuilder().setParent(previous.context()).name("d" + i).start();
            chain.add(previous);
        }
        for (int i = chain.size() - 1; i >= 0; i--) {
            chain.get(i).end();
        }
        Span deep = chain.get(TracesEndpoint.MAX_TREE_DEPTH + 20);
        try (Browser browser = new Browser()) {
            HtmlPage page = browser.open(view() + "?trace=" + deep.context().traceId());
            DomElement row = rows(page).stream()
                .filter(r -> deep.context().spanId().equals(r.getAttribute("data-span-id")))
                .findFirst()
                .orElseThrow();
            row.click();
            browser.ready(page);
            // the page lists it under the deepest level's span; its parent is the span before it in the chain
            assertThat(page.querySelector(".details .goto.parent + code").getTextContent())
                .isEqualTo(chain.get(TracesEndpoint.MAX_TREE_DEPTH + 19).context().spanId());
        }
    }

    @Test
    void aTraceIdOfDotsIsNotAValidTraceId() throws Exception {
        try (Browser browser = new Browser()) {
            HtmlPage page = browser.client.getPage("http://127.0.0.1:" + port + view() + "?trace=..");
            await().atMost(Duration.ofSeconds(10)).pollInSameThread().untilAsserted(() -> {
                browser.client.waitForBackgroundJavaScript(20);
                assertThat(page.getBody().getAttribute("data-state")).isEqualTo("error");
            });
            assertThat(page.getElementById("load-error").getTextContent()).contains("Not a valid trace id");
        }
    }

    @Test
    void spansWhoseParentIsMissingAreTopLevelInTheTree() throws Exception {
        store.clear();
        Span orphan = tracer.spanBuilder().setParent(nestedRoot.context()).name("late").start();
        orphan.end();
        JsonNode roots = getJson(traces() + "/" + nested + "?view=tree");
        assertThat(roots.size()).isEqualTo(1);
        assertThat(roots.get(0).get("name").asString()).isEqualTo("late");
        assertThat(roots.get(0).get("parentId").asString()).isEqualTo(nestedRoot.context().spanId());
        assertThat(roots.get(0).get("missingParent").asBoolean()).isTrue();
        // the summary names the earliest span when the root is not stored
        assertThat(getJson(traces()).get(0).get("name").asString()).isEqualTo("late");
    }

    @Test
    void treeViewCarriesParentIdsAndLinks() throws Exception {
        Span linked = tracer.spanBuilder()
            .setNoParent()
            .name("batch")
            .kind(Span.Kind.CONSUMER)
            .addLink(new Link(nestedChild.context(), Map.of("messaging.kafka.offset", "7")))
            .start();
        linked.end();
        JsonNode batch = getJson(traces() + "/" + linked.context().traceId() + "?view=tree").get(0);
        assertThat(batch.has("parentId")).isFalse();
        assertThat(batch.has("missingParent")).isFalse();
        JsonNode link = batch.get("links").get(0);
        assertThat(link.get("traceId").asString()).isEqualTo(nested);
        assertThat(link.get("spanId").asString()).isEqualTo(nestedChild.context().spanId());
        assertThat(link.get("tags").get("messaging.kafka.offset").asString()).isEqualTo("7");
        JsonNode query = getJson(traces() + "/" + nested + "?view=tree").get(0).get("children").get(0)
            .get("children").get(0);
        assertThat(query.get("parentId").asString()).isEqualTo(nestedChild.context().spanId());
        assertThat(query.has("missingParent")).isFalse();
        assertThat(query.has("links")).isFalse();
    }

    @Test
    void unknownTraceIs404AndMalformedIdIs400() throws Exception {
        assertThat(get(traces() + "/0123456789abcdef0123456789abcdef").statusCode()).isEqualTo(404);
        assertThat(get(traces() + "/not-a-trace-id").statusCode()).isEqualTo(400);
        assertThat(get(traces() + "/0123456789abcdefg123456789abcdef").statusCode()).isEqualTo(400);
        assertThat(get(traces() + "/0123").statusCode()).isEqualTo(400);
        assertThat(get(traces() + "/" + "0".repeat(32)).statusCode()).isEqualTo(400);
        assertThat(get(traces() + "/" + "0".repeat(16)).statusCode()).isEqualTo(400);
        assertThat(get(traces() + "/" + nested + "?view=sideways").statusCode()).isEqualTo(400);
    }

    @Test
    void upperCaseIdFindsTheTrace() throws Exception {
        assertThat(getJson(traces() + "/" + nested.toUpperCase()).size()).isEqualTo(4);
    }

    @Test
    void a64BitTraceIdIsListedAsItArrivedAndFoundPaddedOrNot() throws Exception {
        String traceId = "463ac35c9f6413ad";
        Span server = propagator
            .extract(Map.of("b3", traceId + "-48485a3953bb6124-1"), (carrier, key) -> carrier.get(key))
            .name("from an old b3 caller")
            .kind(Span.Kind.SERVER)
            .start();
        server.end();

        assertThat(traceIds(getJson(traces()))).contains(traceId);
        assertThat(getJson(traces() + "/" + traceId).get(0).get("traceId").asString()).isEqualTo(traceId);
        assertThat(getJson(traces() + "/0000000000000000" + traceId).size()).isEqualTo(1);
        assertThat(getJson(traces() + "/" + traceId + "?view=tree").size()).isEqualTo(1);
    }

    // ---- the traceview page, in a JavaScript-capable browser ----

    @Test
    void pageIsHtmlFromThisJarAndLoadsNothingFromElsewhere() throws Exception {
        HttpResponse<String> response = get(view());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/html"));
        assertThat(response.body()).contains("<title>Traces</title>")
            .doesNotContainPattern("(src|href)=\"(https?:)?//");
        assertThat(get(view() + "?trace=" + nested).body()).isEqualTo(response.body());
    }

    @Test
    void aPageWhoseScriptDidNotRunSaysWhyAndLinksTheJson() throws Exception {
        try (Browser browser = new Browser()) {
            HtmlPage page = browser.open(view());
            assertThat(page.getElementById("no-script").hasAttribute("hidden")).isTrue();
        }
        // as a Content-Security-Policy without 'unsafe-inline' leaves it: scripting on, the inline script blocked
        try (WebClient scriptless = new WebClient()) {
            scriptless.getOptions().setJavaScriptEnabled(false);
            HtmlPage page = scriptless.getPage("http://127.0.0.1:" + port + view());
            DomElement notice = page.getElementById("no-script");
            assertThat(notice.hasAttribute("hidden")).isFalse();
            assertThat(notice.getTextContent()).contains("Content-Security-Policy");
            HtmlAnchor json = (HtmlAnchor) notice.querySelector("a");
            assertThat(json.click().getWebResponse().getContentAsString()).contains(nested);
        }
    }

    @Test
    void pageListsTracesNewestFirstAndFilters() throws Exception {
        try (Browser browser = new Browser()) {
            HtmlPage page = browser.open(view());
            assertThat(listed(page)).containsExactly(nested, failed, slowOld);
            DomElement newest = page.querySelector("tr.trace");
            assertThat(newest.querySelector(".name").getTextContent()).contains("get /api/orders");
            assertThat(newest.querySelector(".service").getTextContent()).contains("endpoint-test");
            assertThat(newest.querySelector(".spans").getTextContent()).contains("4");
            assertThat(newest.querySelector(".duration").getTextContent()).contains("200");
            assertThat(page.querySelector("tr.trace[data-trace-id='" + failed + "'] .error").getTextContent())
                .contains("Error");

            HtmlInput minDuration = (HtmlInput) page.getElementById("min-duration");
            minDuration.setValue("40");
            minDuration.fireEvent("change");
            assertThat(listed(browser.ready(page))).containsExactly(nested, slowOld);
            minDuration.setValue("");
            minDuration.fireEvent("change");

            ((HtmlCheckBoxInput) page.getElementById("errors-only")).click();
            assertThat(listed(browser.ready(page))).containsExactly(failed);
            ((HtmlCheckBoxInput) page.getElementById("errors-only")).click();

            ((HtmlInput) page.getElementById("name-filter")).type("ORDERS");
            // typing is six input events and a 300 ms pause before the request: on a busy machine an
            // earlier answer can land in between, so wait for the filtered list itself
            assertThat(browser.awaitListed(page, nested)).containsExactly(nested);

            HtmlPage opened = ((HtmlAnchor) page.querySelector("tr.trace a.open")).click();
            assertThat(browser.ready(opened).querySelectorAll(".span-row")).hasSize(4);
        }
    }

    @Test
    void waterfallNestsSpansAndPlacesBarsOnOneTimeAxis() throws Exception {
        try (Browser browser = new Browser()) {
            HtmlPage page = browser.open(view() + "?trace=" + nested);
            List<DomElement> rows = rows(page);
            assertThat(rows).extracting(row -> row.querySelector(".span-name").getTextContent())
                .containsExactly("get /api/orders", "load", "query", "render");
            assertThat(rows).extracting(row -> row.getAttribute("data-depth")).containsExactly("0", "1", "2", "1");
            assertThat(rows).extracting(row -> row.getAttribute("data-parent-id"))
                .containsExactly("", nestedRoot.context().spanId(), nestedChild.context().spanId(),
                        nestedRoot.context().spanId());
            assertThat(rows.get(0).getAttribute("data-kind")).isEqualTo("SERVER");
            // 200 ms in all: load starts at 10 ms for 30 ms, query at 20 ms for 10, render at 50 ms for 10
            assertThat(bar(rows.get(0))).containsExactly(0.0, 100.0);
            assertThat(bar(rows.get(1))).containsExactly(5.0, 15.0);
            assertThat(bar(rows.get(2))).containsExactly(10.0, 5.0);
            assertThat(bar(rows.get(3))).containsExactly(25.0, 5.0);
            assertThat(rows.get(1).getTextContent()).contains("30");
            assertThat(page.querySelectorAll(".tick")).isNotEmpty();
            assertThat(((HtmlAnchor) page.getElementById("download")).getHrefAttribute()).endsWith(tracesMapping + "/" + nested);

            rows.get(1).click();
            browser.ready(page);
            assertThat(page.querySelectorAll(".details tr.tag")).anySatisfy(tag -> assertThat(tag.getTextContent())
                .contains("db").contains("orders"));
        }
    }

    @Test
    void errorSpansShowTheirMessage() throws Exception {
        try (Browser browser = new Browser()) {
            List<DomElement> rows = rows(browser.open(view() + "?trace=" + failed));
            assertThat(rows.get(1).getAttribute("class")).contains("error");
            assertThat(rows.get(1).querySelector(".error-message").getTextContent()).contains("boom");
            assertThat(rows.get(0).getAttribute("class")).doesNotContain("error");
        }
    }

    @Test
    void markupInNamesAndTagsShowsAsText() throws Exception {
        String name = "<img src=x onerror=alert(1)>";
        String value = "<script>alert(2)</script>";
        Span hostile = tracer.spanBuilder().setNoParent().name(name).tag("note", value).start();
        hostile.end();
        try (Browser browser = new Browser()) {
            HtmlPage list = browser.open(view());
            assertThat(list.querySelector("tr.trace .name").getTextContent()).contains(name);
            HtmlPage page = browser.open(view() + "?trace=" + hostile.context().traceId());
            DomElement row = rows(page).get(0);
            assertThat(row.querySelector(".span-name").getTextContent()).isEqualTo(name);
            row.click();
            browser.ready(page);
            assertThat(page.querySelector(".details").getTextContent()).contains(value);
            assertThat(page.querySelectorAll("main img, main script")).isEmpty();
            assertThat(browser.alerts).isEmpty();
        }
    }

    @Test
    void aSpanWhoseParentIsMissingIsShownAtTheTopMarked() throws Exception {
        store.clear();
        Span late = tracer.spanBuilder().setParent(nestedRoot.context()).name("late").start();
        late.end();
        try (Browser browser = new Browser()) {
            DomElement row = rows(browser.open(view() + "?trace=" + nested)).get(0);
            assertThat(row.getAttribute("data-depth")).isEqualTo("0");
            assertThat(row.getAttribute("class")).contains("orphan");
            assertThat(row.getTextContent()).contains(nestedRoot.context().spanId());
        }
    }

    @Test
    void aLinkToAnotherTraceCanBeFollowed() throws Exception {
        Span batch = tracer.spanBuilder()
            .setNoParent()
            .name("batch")
            .kind(Span.Kind.CONSUMER)
            .addLink(new Link(nestedChild.context()))
            .start();
        batch.end();
        try (Browser browser = new Browser()) {
            HtmlPage page = browser.open(view() + "?trace=" + batch.context().traceId());
            rows(page).get(0).click();
            browser.ready(page);
            HtmlAnchor link = (HtmlAnchor) page.querySelector(".details a.link");
            assertThat(link.getHrefAttribute()).contains("trace=" + nested);
            HtmlPage linked = browser.ready(link.click());
            assertThat(rows(linked)).extracting(row -> row.querySelector(".span-name").getTextContent())
                .contains("load");
        }
    }

    static List<String> listed(HtmlPage page) {
        List<String> ids = new ArrayList<>();
        for (DomNode row : page.querySelectorAll("#traces tr.trace")) {
            ids.add(((DomElement) row).getAttribute("data-trace-id"));
        }
        return ids;
    }

    static List<DomElement> rows(HtmlPage page) {
        List<DomElement> rows = new ArrayList<>();
        for (DomNode row : page.querySelectorAll(".span-row")) {
            rows.add((DomElement) row);
        }
        return rows;
    }

    /** The bar's left and width, in percent of the trace, rounded to a tenth. */
    static List<Double> bar(DomElement row) {
        String style = ((DomElement) row.querySelector(".bar")).getAttribute("style");
        Matcher left = Pattern.compile("left:\\s*([0-9.]+)%").matcher(style);
        Matcher width = Pattern.compile("width:\\s*([0-9.]+)%").matcher(style);
        assertThat(left.find() && width.find()).as("bar style %s", style).isTrue();
        return List.of(Math.round(Double.parseDouble(left.group(1)) * 10) / 10.0,
                Math.round(Double.parseDouble(width.group(1)) * 10) / 10.0);
    }

    /** HtmlUnit with script errors failing the test and alerts recorded. */
    final class Browser implements AutoCloseable {

        final WebClient client = new WebClient();

        final List<String> alerts = new CopyOnWriteArrayList<>();

        Browser() {
            client.getOptions().setThrowExceptionOnScriptError(true);
            client.setAlertHandler((page, message) -> alerts.add(message));
        }

        HtmlPage open(String path) throws IOException {
            return ready(client.getPage("http://127.0.0.1:" + port + path));
        }

        /** Waits (up to 10 s) until the page is ready and lists exactly {@code ids}; returns what it lists. */
        List<String> awaitListed(HtmlPage page, String... ids) {
            awaitScript(page, 50, () -> assertThat(listed(page)).as("the traces listed").containsExactly(ids));
            return listed(page);
        }

        /** Waits (up to 10 s) until the page's script says it has loaded what it asked for. */
        HtmlPage ready(HtmlPage page) {
            awaitScript(page, 20, () -> {
            });
            return page;
        }

        /**
         * Waits until the page is ready and {@code check} passes, letting the page's script (its
         * timers and requests) run for up to {@code scriptMillis} after each miss. Checked on the
         * test's thread, as HtmlUnit's pages are not meant to be read from two.
         */
        private void awaitScript(HtmlPage page, long scriptMillis, ThrowingRunnable check) {
            await().atMost(Duration.ofSeconds(10)).pollInSameThread().untilAsserted(() -> {
                try {
                    assertThat(page.getBody().getAttribute("data-state")).as("the page's state").isEqualTo("ready");
                    check.run();
                }
                catch (AssertionError ex) {
                    client.waitForBackgroundJavaScript(scriptMillis);
                    throw ex;
                }
            });
        }

        @Override
        public void close() {
            client.close();
        }

    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

    }

}
