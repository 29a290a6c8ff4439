package dev.tracing.instrument.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.tracing.core.Tracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HttpSpanPolicyTests {

    /** A test request's key for the caller's address; its other keys are its headers, in lower case. */
    private static final String REMOTE = "@remote";

    private static final HttpSpanPolicy.RequestReader<Map<String, String>> READER = new HttpSpanPolicy.RequestReader<>() {
        @Override
        public String clientAddress(Map<String, String> request) {
            return request.get(REMOTE);
        }

        @Override
        public String header(Map<String, String> request, String name) {
            return request.get(name.toLowerCase(Locale.ROOT));
        }
    };

    private final List<FinishedSpan> spans = new ArrayList<>();

    private final Tracer tracer = Tracing.newBuilder().reporter(spans::add).build();

    @Test
    void urlFullNeverCarriesUserInfoQueryOrFragment() {
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://user:secret@api.example.com:8080/a/b?token=x#frag")))
            .isEqualTo("http://api.example.com:8080/a/b");
        assertThat(HttpSpanPolicy.urlFull(URI.create("https://api.example.com?q=1"))).isEqualTo("https://api.example.com/");
    }

    @Test
    void urlFullIsTheUrlAsWrittenOnlyWhenNothingMustBeLeftOut() throws URISyntaxException {
        assertThat(HttpSpanPolicy.urlFull(new URI("http", "user", "api.example.com", 8080, "/a b", "q=1", "f")))
            .isEqualTo("http://api.example.com:8080/a%20b");
        assertThat(HttpSpanPolicy.urlFull(new URI("http", null, "api.example.com", -1, "/a b", null, null)))
            .isEqualTo("http://api.example.com/a%20b");
        URI plain = URI.create("http://api.example.com:8080/a/b%20c");
        assertThat(HttpSpanPolicy.urlFull(plain)).isEqualTo("http://api.example.com:8080/a/b%20c")
            .as("the URI's own text").isSameAs(plain.toString());
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://[::1]:8080/a"))).isEqualTo("http://[::1]:8080/a");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://[fe80::1%25eth0]:8080/a")))
            .isEqualTo("http://[fe80::1%25eth0]:8080/a");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com/a/").resolve("b")))
            .isEqualTo("http://api.example.com/a/b");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com/a/./b/../c").normalize()))
            .isEqualTo("http://api.example.com/a/c");
        assertThat(HttpSpanPolicy.urlFull(URI.create("HTTP://Api.Example.com/a"))).isEqualTo("HTTP://Api.Example.com/a");
        // written differently from the URL it names: the port as a number, a path for an empty one
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com:/a"))).isEqualTo("http://api.example.com/a");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com:080/a")))
            .isEqualTo("http://api.example.com:80/a");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com:8080"))).isEqualTo("http://api.example.com:8080/");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com/a?"))).isEqualTo("http://api.example.com/a");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://api.example.com/a#"))).isEqualTo("http://api.example.com/a");
        assertThat(HttpSpanPolicy.urlFull(URI.create("http://@api.example.com/a"))).isEqualTo("http://api.example.com/a");
    }

    @Test
    void aHostNameWithAnUnderscoreIsTheServerAddressWithItsPort() {
        // java.net.URI has no host for it (a Docker Compose service name); Spring's connectors still send there
        HttpSpanPolicy policy = HttpSpanPolicy.builder().build();
        for (String url : List.of("http://orders_service:8080/api/orders/1", "http://u:p@orders_service:8080/api/orders/1")) {
            Span client = policy.startClientSpan(tracer.spanBuilder(), "GET", URI.create(url), null);
            policy.endClientSpan(client, 200, null, false);
        }
        Span noPort = policy.startClientSpan(tracer.spanBuilder(), "GET", URI.create("https://orders_service/a"), null);
        policy.endClientSpan(noPort, 200, null, false);
        assertThat(spans).hasSize(3);
        for (FinishedSpan span : spans.subList(0, 2)) {
            assertThat(span.getTags()).containsEntry("server.address", "orders_service")
                .containsEntry("server.port", "8080")
                .containsEntry("url.full", "http://orders_service:8080/api/orders/1");
        }
        assertThat(spans.get(2).getTags()).containsEntry("server.address", "orders_service")
            .containsEntry("server.port", "443")
            .containsEntry("url.full", "https://orders_service/a");
    }

    @Test
    void spanNamesAndPortsAreRightWhateverTheirNumberAndOrder() {
        HttpSpanPolicy policy = HttpSpanPolicy.builder().build();
        // more routes, templates and ports than the policy keeps names for (ports 16 apart share a slot), twice
        // over, in two methods
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 200; i++) {
                String method = i % 2 == 0 ? "GET" : "POST";
                Span server = policy.startServerSpan(tracer.spanBuilder(), method, "http", "/r" + i, null, "h",
                        Map.of(), READER);
                policy.endServerSpan(server, method, "/r" + i + "/{id}", 200, null, false);
                Span client = policy.startClientSpan(tracer.spanBuilder(), method,
                        URI.create("http://h:" + (8000 + i % 20) + "/c" + i + "/1"), "http://h/c" + i + "/{id}");
                policy.endClientSpan(client, 200, null, false);
            }
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 200; i++) {
                String method = i % 2 == 0 ? "GET" : "POST";
                FinishedSpan server = spans.get(round * 400 + i * 2);
                FinishedSpan client = spans.get(round * 400 + i * 2 + 1);
                assertThat(server.getName()).isEqualTo(method + " /r" + i + "/{id}");
                assertThat(server.getTags()).containsEntry("http.route", "/r" + i + "/{id}");
                assertThat(client.getName()).isEqualTo(method + " /c" + i + "/{id}");
                assertThat(client.getTags()).containsEntry("url.template", "/c" + i + "/{id}")
                    .containsEntry("server.port", String.valueOf(8000 + i % 20));
            }
        }
        // one route in several methods (POST and HEAD share a slot of the policy's table), one unknown
        for (String method : List.of("POST", "HEAD", "BREW")) {
            Span span = policy.startServerSpan(tracer.spanBuilder(), method, "http", "/m", null, "h", Map.of(), READER);
            policy.endServerSpan(span, method, "/m/{id}", 200, null, false);
        }
        assertThat(spans.subList(800, 803)).extracting(FinishedSpan::getName)
            .containsExactly("POST /m/{id}", "HEAD /m/{id}", "HTTP /m/{id}");
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
                "/cart;jsessionid=ABC123/items;v=2", "page=2", "h", Map.of(), READER), "GET", null, 200, null, false);
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
            policy.endServerSpan(policy.startServerSpan(tracer.spanBuilder(), "GET", "http", "/a", "page=2", "h", Map.of(),
                    READER), "GET", "/a", 200, null, false);
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
        Map<String, String> request = Map.of("x-tenant", "acme", "authorization", "Bearer t", "proxy-authorization",
                "Basic p", "cookie", "SESSION=1", "set-cookie", "a=b", REMOTE, "127.0.0.1");
        Span span = policy.startServerSpan(tracer.spanBuilder(), "GET", "http", "/x", null, "host", request, READER);
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
        Span server = policy.startServerSpan(tracer.spanBuilder(), "GET", "http", "/x", null, "h", Map.of(), READER);
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
