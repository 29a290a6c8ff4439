package dev.tracing.compatibility;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;

import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;

import static org.assertj.core.api.Assertions.assertThat;

/** What the Spring Security tests share: requests with Basic credentials, and reading a trace's spans. */
final class SecurityRequests {

    private SecurityRequests() {
    }

    /** GET on the local server, with Basic {@code credentials} ("user:password") and a traceparent when not null. */
    static HttpResponse<String> get(int port, String path, String credentials, String traceparent) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        if (credentials != null) {
            request.header("Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The README's example holds: the traces endpoint and the traceview page answer 401 (asking
     * for Basic credentials) without credentials, 403 to a user without the OPS role, the traces
     * list and the page to the role; health stays open.
     */
    static void assertTracesNeedTheOpsRoleAndHealthIsOpen(int port) throws Exception {
        HttpResponse<String> anonymous = get(port, "/actuator/traces", null, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
            .hasValueSatisfying(value -> assertThat(value).startsWith("Basic"));
        assertThat(get(port, "/actuator/traces", "dev:dev-password", null).statusCode()).isEqualTo(403);

        assertThat(get(port, "/open", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> traces = get(port, "/actuator/traces", "ops:ops-password", null);
        assertThat(traces.statusCode()).isEqualTo(200);
        assertThat(traces.body()).startsWith("[").contains("\"name\":\"GET /open\"");
        assertThat(get(port, "/actuator/health", null, null).statusCode()).isEqualTo(200);

        assertThat(get(port, "/actuator/traceview", null, null).statusCode()).isEqualTo(401);
        assertThat(get(port, "/actuator/traceview", "dev:dev-password", null).statusCode()).isEqualTo(403);
        HttpResponse<String> page = get(port, "/actuator/traceview", "ops:ops-password", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Traces</title>");
    }

    /**
     * Three health probes, which the skip pattern leaves out, add no trace to the store: not even of
     * the security filter chain's Observations, which would each start a trace of their own.
     */
    static void assertHealthProbesRecordNothing(int port, InMemorySpanStore store) throws Exception {
        int traces = store.traceCount();
        for (int i = 0; i < 3; i++) {
            assertThat(get(port, "/actuator/health", null, null).statusCode()).isEqualTo(200);
        }
        Waits.await().during(Duration.ofMillis(500)).until(() -> store.traceCount() == traces);
    }

    /** The spans of one secured request, and its SERVER span among them. */
    record SecuredTrace(List<FinishedSpan> spans, FinishedSpan server) {
    }

    /**
     * Sends {@code GET /secured} as the user without the OPS role, continuing a caller's trace
     * {@code traceId}: it must answer 200, and its SERVER span must be named after the route and
     * be the caller's child. Returns the trace once it has exactly {@code count} spans and no more
     * arrive (a smaller count would let a late span of the request fail the quiet period).
     */
    static SecuredTrace securedRequestTrace(int port, InMemorySpanStore store, String traceId, int count)
            throws Exception {
        String caller = "00f067aa0ba902b7";
        HttpResponse<String> response = get(port, "/secured", "dev:dev-password", "00-" + traceId + "-" + caller + "-01");
        assertThat(response.statusCode()).isEqualTo(200);
        List<FinishedSpan> spans = Waits.awaitTrace(store, traceId, count);
        FinishedSpan server = spans.stream()
            .filter(span -> span.getKind() == Span.Kind.SERVER)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no SERVER span in " + spans));
        assertThat(server.getName()).isEqualTo("GET /secured");
        assertThat(server.getParentId()).isEqualTo(caller);
        return new SecuredTrace(spans, server);
    }

    /** The users both tests know: "ops" with the OPS role, "dev" without it. */
    static UserDetails[] users() {
        return new UserDetails[] { User.withUsername("ops").password("{noop}ops-password").roles("OPS").build(),
                User.withUsername("dev").password("{noop}dev-password").roles("USER").build() };
    }

    static FinishedSpan named(List<FinishedSpan> spans, String name) {
        return spans.stream()
            .filter(span -> span.getName().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no span named '" + name + "' in " + spans));
    }

}
