package dev.tracing.instrument.webflux;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tracing.testing.TraceAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A caller cannot write a log line of its own: a baggage value that is both a remote and a
 * correlation field reaches the MDC without its control characters, so a CR LF it decodes to
 * stays on the application's line under a plain log pattern.
 */
@SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                "trace.baggage.remote-fields=tenant", "trace.baggage.correlation-fields=tenant",
                "logging.pattern.console=tenant=%X{tenant} %m%n",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
@ExtendWith(OutputCaptureExtension.class)
class ForgedLogLinesTests {

    @LocalServerPort
    int port;

    @Test
    void aLineBreakInBaggageStaysOnTheApplicationsLine(CapturedOutput output) throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/chain/forged", "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage",
                "tenant=acme%0D%0AERROR%20forged%20by%20the%20caller%0D%0A");
        assertThat(response.statusCode()).isEqualTo(200);
        await().until(() -> output.getOut().contains("chain forged got ok"));
        List<String> lines = output.getOut().lines().filter(line -> line.contains("forged")).toList();
        // one line, the application's own, carrying the value without its line breaks
        assertThat(lines).singleElement()
            .isEqualTo("tenant=acmeERROR forged by the caller chain forged got ok");
    }

}
