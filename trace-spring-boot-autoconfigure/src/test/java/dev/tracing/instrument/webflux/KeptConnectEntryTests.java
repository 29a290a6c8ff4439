package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import dev.tracing.testing.ReactorPropagationState;
import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

import static dev.tracing.testing.TraceAssertions.only;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code trace.web.client.trim-connect-context=false}, Spring's Observation entry stays in the
 * Reactor Context of Reactor Netty's connect beside the trace, for code an application hangs on the
 * {@code HttpClient} of Boot's WebClient (or Reactor Netty's own observations) that needs it.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=webflux-kept-connect",
                "trace.reactor.context-propagation=auto", "trace.web.client.trim-connect-context=false",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0" })
@Import(AutoPropagationConnectTests.ConnectHook.class)
@ExtendWith(ReactorPropagationState.RestoredAfterAll.class)
class KeptConnectEntryTests {

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

    @Test
    void anHttpClientHookOfTheApplicationReadsTheObservationAndTheTraceFromItsReactorContext() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/kept-connect-1");
        assertThat(response.statusCode()).isEqualTo(200);
        String traceId = JsonMapper.builder().build().readTree(response.body()).get("traceId").asString();
        List<FinishedSpan> spans = TraceAssertions.awaitTrace(store, traceId, 3);
        FinishedSpan server = only(spans, span -> "GET /chain/{marker}".equals(span.getName()));
        FinishedSpan client = only(spans, span -> span.getKind() == Span.Kind.CLIENT);
        assertThat(client.getParentId()).isEqualTo(server.getSpanId());
        assertThat(AutoPropagationConnectTests.seenInHook.get("/downstream/kept-connect-1"))
            .containsExactly(traceId, server.getSpanId(), "observation");
    }

}
