package dev.tracing.instrument.http;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HttpSpanPolicyTests {

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final Tracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    @Test
    void urlFullNeverCarriesUserInfoQueryOrFragment() {
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://user:secret@api.example.com:8080/a/b?token=x#frag")))
            .isEqualTo("http://api.example.com:8080/a/b");
        assertThat(HttpSpanPolicy.urlFull(URI.create("https://api.example.com?q=1"))).isEqualTo("https://api.example.com/");
    }

    @Test
    void aClientSpanIsNamedByItsTemplatesPathOnlyWhenTheTemplateHasVariables() {
        assertThat(HttpSpanPolicy.templatePath("http://{host}/stock/{id}?src={src}")).isEqualTo("/stock/{id}");
        assertThat(HttpSpanPolicy.templatePath("http://stock/api/hello?name={name}")).isEqualTo("/api/hello");
        assertThat(HttpSpanPolicy.templatePath("stock/{id}")).isEqualTo("/stock/{id}");
        // what Spring reports as the template of .uri(base + "/stock/" + id): a raw path, never a name
        assertThat(HttpSpanPolicy.templatePath("http://stock:8080/stock/5bf92f35")).isNull();
        assertThat(HttpSpanPolicy.templatePath("/stock/5bf92f35")).isNull();
        assertThat(HttpSpanPolicy.templatePath(null)).isNull();
    }

    @Test
    void pathParametersWhereContainersPutTheSessionIdAreNeverRecorded() {
        HttpSpanPolicy policy = HttpSpanPolicy.builder()
            .skipPattern(HttpSpanPolicy.defaultSkipPattern("/actuator"))
            .recordQuery(true)
            .build();
        policy.endServerSpan(policy.startServerSpan(tracer.spanBuilder(), "GET", "http",
                "/cart;jsessionid=ABC123/items;v=2", "page=2", "h", () -> null, name -> null), "GET", null, 200, null, false);
        policy.endClientSpan(policy.startClientSpan(tracer.spanBuilder(), "GET",
                URI.create("http://api.example.com/cart;JSESSIONID=ABC123?page=2")), 200, null, false);
        assertThat(spans.get(0).getTags()).containsEntry("url.path", "/cart/items");
        assertThat(spans.get(1).getTags()).containsEntry("url.full", "http://api.example.com/cart?page=2");
        assertThat(HttpSpanPolicy.urlFull(URI.create("/a;jsessionid=1/b"))).isEqualTo("/a/b");
        assertThat(policy.skip("/favicon.ico;jsessionid=ABC123")).isTrue();
        assertThat(policy.skip("/api;jsessionid=ABC123/favicon.ico.html")).isFalse();
    }

    @Test
    void withoutPathParametersKeepsEverySegmentAndDropsOnlyItsParameters() {
        assertThat(HttpSpanPolicy.withoutPathParameters("/a/b")).isEqualTo("/a/b");
        assertThat(HttpSpanPolicy.withoutPathParameters("/a;x=1")).isEqualTo("/a");
        assertThat(HttpSpanPolicy.withoutPathParameters("/a;x=1;y=2/b/c;z")).isEqualTo("/a/b/c");
        assertThat(HttpSpanPolicy.withoutPathParameters("/a;x=1/;y=2/")).isEqualTo("/a//");
        assertThat(HttpSpanPolicy.withoutPathParameters(";x")).isEqualTo("");
        assertThat(HttpSpanPolicy.withoutPathParameters("")).isEqualTo("");
    }

    @Test
    void queryStringsAreRecordedOnlyWhenOptedInAndUserInfoNever() {
        URI uri = URI.create("http://user:secret@api.example.com/a?page=2#frag");
        for (boolean recordQuery : new boolean[] { false, true }) {
            HttpSpanPolicy policy = HttpSpanPolicy.builder().recordQuery(recordQuery).build();
            policy.endServerSpan(policy.startServerSpan(tracer.spanBuilder(), "GET", "http", "/a", "page=2", "h", () -> null,
                    name -> null), "GET", "/a", 200, null, false);
            policy.endClientSpan(policy.startClientSpan(tracer.spanBuilder(), "GET", uri), 200, null, false);
        }
        assertThat(spans.get(0).getTags()).doesNotContainKey("url.query");
        assertThat(spans.get(1).getTags()).containsEntry("url.full", "http://api.example.com/a");
        assertThat(spans.get(2).getTags()).containsEntry("url.query", "page=2");
        assertThat(spans.get(3).getTags()).containsEntry("url.full", "http://api.example.com/a?page=2");
    }

    @Test
    void defaultSkipPatternCoversActuatorStaticResourcesAndFavicon() {
        HttpSpanPolicy policy = HttpSpanPolicy.builder().skipPattern(HttpSpanPolicy.defaultSkipPattern("/actuator")).build();
        assertThat(policy.skip("/actuator")).isTrue();
        assertThat(policy.skip("/actuator/health")).isTrue();
        assertThat(policy.skip("/favicon.ico")).isTrue();
        assertThat(policy.skip("/static/app.css")).isTrue();
        assertThat(policy.skip("/js/app.js")).isTrue();
        assertThat(policy.skip("/api/actuators")).isFalse();
        assertThat(policy.skip("/actuatorx")).isFalse();
        assertThat(policy.skip("/api/users/1")).isFalse();
        HttpSpanPolicy management = HttpSpanPolicy.builder().skipPattern(HttpSpanPolicy.defaultSkipPattern("/manage/")).build();
        assertThat(management.skip("/manage/health")).isTrue();
        assertThat(management.skip("/actuator/health")).isFalse();
    }

    @Test
    void credentialHeadersAreNeverRecordedEvenWhenNamed() {
        HttpSpanPolicy policy = HttpSpanPolicy.builder().recordHeaders(List.of("X-Tenant", "Authorization", "proxy-authorization", "Cookie", "Set-Cookie")).build();
        Map<String, String> headers = Map.of("x-tenant", "acme", "authorization", "Bearer t", "proxy-authorization",
                "Basic p", "cookie", "SESSION=1", "set-cookie", "a=b");
        Span span = policy.startServerSpan(tracer.spanBuilder(), "GET", "http", "/x", null, "host", () -> "127.0.0.1",
                name -> headers.get(name.toLowerCase()));
        policy.endServerSpan(span, "GET", "/x", 200, null, false);
        assertThat(spans.get(0).getTags()).containsEntry("http.request.header.x-tenant", "acme")
            .doesNotContainKeys("http.request.header.authorization", "http.request.header.proxy-authorization",
                    "http.request.header.cookie", "http.request.header.set-cookie");
        assertThat(spans.get(0).getTags().values()).noneMatch(v -> v.contains("Bearer") || v.contains("SESSION"));
    }

    @Test
    void responseHeaderIsW3cTraceresponseOrTheBareTraceId() {
        Span span = tracer.nextSpan().start();
        assertThat(HttpSpanPolicy.builder().responseHeader("traceresponse").build().responseHeaderValue(span.context()))
            .isEqualTo("00-" + span.context().traceId() + "-" + span.context().spanId() + "-01");
        assertThat(HttpSpanPolicy.builder().responseHeader("X-Trace-Id").build().responseHeaderValue(span.context()))
            .isEqualTo(span.context().traceId());
        assertThat(HttpSpanPolicy.builder().responseHeader(" ").build().responseHeader()).isNull();
    }

    @Test
    void clientErrorsStartAt400ServerErrorsAt500() {
        HttpSpanPolicy policy = HttpSpanPolicy.builder().build();
        Span client = policy.startClientSpan(tracer.spanBuilder(), "GET", URI.create("http://h/x"));
        policy.endClientSpan(client, 404, null, false);
        Span server = policy.startServerSpan(tracer.spanBuilder(), "GET", "http", "/x", null, "h", () -> null, name -> null);
        policy.endServerSpan(server, "GET", "/x", 404, null, false);
        assertThat(spans.get(0).getTags()).containsEntry("error", "404").containsEntry("server.port", "80");
        assertThat(spans.get(1).getTags()).doesNotContainKey("error");
        assertThat(spans.get(1).getName()).isEqualTo("GET /x");
    }

    @Test
    void theBuilderRefusesWhatAServerWouldRefuseOnEveryRequest() {
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanPolicy.builder().skipPattern("/health("))
            .withMessageStartingWith("is not a valid regular expression");
        assertThatIllegalArgumentException().isThrownBy(() -> HttpSpanPolicy.builder().responseHeader("X Trace Id"))
            .withMessage("is not a valid HTTP header name");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> HttpSpanPolicy.builder().recordHeaders(List.of("x-tenant", "user:agent")))
            .withMessage("must hold valid HTTP header names");
        // surrounding blanks and empty entries are fine
        assertThat(HttpSpanPolicy.builder().responseHeader(" X-Trace-Id ").build().responseHeader())
            .isEqualTo("X-Trace-Id");
        assertThat(HttpSpanPolicy.builder().recordHeaders(List.of("x-tenant", "")).build()).isNotNull();
    }

}
