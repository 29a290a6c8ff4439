package dev.tracing.test.shop;

import dev.tracing.test.TestSpans;
import io.micrometer.tracing.Span;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.test.web.servlet.MockMvc;

import static dev.tracing.test.TraceAssertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** In a {@code @WebMvcTest} slice the starter's servlet tracing and the kit are there too. */
@WebMvcTest(controllers = HelloController.class)
class WebMvcSliceTests {

    @Autowired
    MockMvc mvc;

    @Autowired
    TestSpans spans;

    @Test
    void aRequestToTheSliceIsAServerSpanWithTheControllersTag() throws Exception {
        mvc.perform(get("/hello")).andExpect(status().isOk());
        assertThat(spans).hasSize(1)
            .hasSpan(Span.Kind.SERVER, "GET /hello")
            .hasTag("greeting", "hello")
            .hasTag("http.response.status_code", "200");
    }

    @Test
    void everyRequestOfALoopIsRecordedHoweverFastItRuns() throws Exception {
        // more new traces at once than the tracer's default limit of a hundred a second lets through
        for (int i = 0; i < 40; i++) {
            mvc.perform(get("/hello")).andExpect(status().isOk());
        }
        assertThat(spans).hasSpansNamed("GET /hello", 40);
    }

}
