package dev.tracing.instrument.sampling;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

import static dev.tracing.instrument.sampling.SampledTraces.sampledBy;
import static dev.tracing.instrument.sampling.SampledTraces.traceresponse;
import static dev.tracing.testing.TraceAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same rules and keep policy on Spring MVC and Tomcat, at a probability of 0.0: a failed
 * request (a 500 answered, or an exception thrown) and a slow one are kept with their CLIENT
 * spans; a path rule samples its routes.
 */
@SpringBootTest(classes = KeepWebMvcTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "trace.sampling.probability=0.0",
                "trace.sampling.keep.errors=true", "trace.sampling.keep.slower-than=300ms",
                "trace.sampling.rules[0].path=/sampled/**", "trace.sampling.rules[0].probability=1.0",
                "trace.export.memory.max-traces-per-second=0", "trace.web.server.response-header=traceresponse",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class KeepWebMvcTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;


    @Test
    void anAnswered500IsKeptWithItsClientSpanAndASuccessIsNot() throws Exception {
        HttpResponse<String> hello = TraceAssertions.get(port, "/hello");
        HttpResponse<String> failed = TraceAssertions.get(port, "/fail");
        assertThat(failed.statusCode()).isEqualTo(500);
        String[] fail = traceresponse(failed);
        assertThat(fail[3]).isEqualTo("00");

        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, fail[1], 2);
        FinishedSpan server = TraceAssertions.only(spans, span -> span.getKind() == Span.Kind.SERVER);
        FinishedSpan client = TraceAssertions.only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(server.getName()).isEqualTo("GET /fail");
        assertThat(server.getTags()).containsEntry("sampling.kept", "error");
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(store.trace(traceresponse(hello)[1])).isEmpty();
    }

    @Test
    void aThrownExceptionIsKept() throws Exception {
        HttpResponse<String> crashed = TraceAssertions.get(port, "/crash");
        assertThat(crashed.statusCode()).isEqualTo(500);

        FinishedSpan server = TraceAssertions.awaitTrace(store, traceresponse(crashed)[1], 1).get(0);
        assertThat(server.getTags()).containsEntry("sampling.kept", "error");
        assertError(server, IllegalStateException.class).hasMessage("crashed on purpose");
    }

    @Test
    void aSlowRequestIsKept() throws Exception {
        String[] slow = traceresponse(TraceAssertions.get(port, "/slow"));

        FinishedSpan server = TraceAssertions.awaitTrace(store, slow[1], 1).get(0);
        assertThat(server.getName()).isEqualTo("GET /slow");
        assertThat(server.getTags()).containsEntry("sampling.kept", "slow");
    }

    @Test
    void aPathRuleSamplesItsRoutes() throws Exception {
        String[] sampled = traceresponse(TraceAssertions.get(port, "/sampled/7"));

        assertThat(sampled[3]).isEqualTo("01");
        FinishedSpan server = TraceAssertions.awaitTrace(store, sampled[1], 1).get(0);
        assertThat(server.getName()).isEqualTo("GET /sampled/{id}");
        assertThat(server.getTags()).doesNotContainKey("sampling.kept");
        assertThat(sampledBy(store, sampled[1])).isEqualTo("rules[0]");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @RestController
        static class Endpoints {

            private final RestClient client;

            private final Environment environment;

            Endpoints(RestClient.Builder builder, Environment environment) {
                this.client = builder.build();
                this.environment = environment;
            }

            @GetMapping("/hello")
            String hello() {
                return "hello";
            }

            @GetMapping("/sampled/{id}")
            String sampled(@PathVariable String id) {
                return "sampled " + id;
            }

            @GetMapping("/fail")
            ResponseEntity<String> fail() {
                client.get()
                    .uri("http://127.0.0.1:" + environment.getProperty("local.server.port") + "/hello")
                    .retrieve()
                    .body(String.class);
                return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body("failed");
            }

            @GetMapping("/crash")
            String crash() {
                throw new IllegalStateException("crashed on purpose");
            }

            @GetMapping("/slow")
            String slow() throws InterruptedException {
                Thread.sleep(400);
                return "slow";
            }

        }

    }

}
