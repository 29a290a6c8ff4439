package dev.tracing.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

import dev.tracing.core.ErrorSummary;
import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.assertj.core.api.AbstractThrowableAssert;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/** What the HTTP instrumentation tests share: a request to the test server, and reading its spans. */
public final class TraceAssertions {

    private static final HttpClient http = HttpClient.newHttpClient();

    private TraceAssertions() {
    }

    /** GETs {@code path} from the server on {@code port} with the given header name/value pairs. */
    public static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        return request(port, "GET", path, headers);
    }

    /** Sends {@code method} (any token, known or not) to {@code path} with the given header name/value pairs. */
    public static HttpResponse<String> request(int port, String method, String path, String... headers)
            throws Exception {
        // a request the server never answers fails the test instead of hanging it. One connection per
        // request: Reactor Netty 1.3.6 can stop reading a keep-alive connection whose next request
        // arrived before the previous exchange had terminated (reactor-netty#4361), which left a test
        // waiting 20 s now and then, with or without tracing
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .header("Connection", "close")
            .timeout(java.time.Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Spans end after the response is written: waits (up to 5 s) until the trace has {@code count}
     * spans, and asserts it has exactly that many.
     */
    public static List<FinishedSpan> awaitTrace(InMemorySpanStore store, String traceId, int count) {
        return awaitSpans("spans of trace " + traceId, Waits.TIMEOUT, count, () -> store.trace(traceId));
    }

    /**
     * Waits (up to {@code atMost}) until {@code spans} gives {@code count} spans, and asserts it
     * then gives exactly that many; {@code description} names them in the failure.
     */
    public static List<FinishedSpan> awaitSpans(String description, Duration atMost, int count,
            Supplier<List<FinishedSpan>> spans) {
        await().atMost(atMost).until(() -> spans.get().size() >= count);
        List<FinishedSpan> found = spans.get();
        assertThat(found).as(description).hasSize(count);
        return found;
    }

    /** Returns the one span matching {@code predicate}, asserting there is exactly one. */
    public static FinishedSpan only(List<FinishedSpan> spans, Predicate<FinishedSpan> predicate) {
        List<FinishedSpan> matching = spans.stream().filter(predicate).toList();
        assertThat(matching).hasSize(1);
        return matching.get(0);
    }

    /**
     * Asserts that {@code span} recorded an exception of {@code type}, and returns an assertion on it for its
     * message. A span from the in-memory store holds an {@link ErrorSummary} of the exception: its type is
     * the one checked.
     */
    public static AbstractThrowableAssert<?, ? extends Throwable> assertError(FinishedSpan span,
            Class<? extends Throwable> type) {
        Throwable error = span.getError();
        assertThat(error).as("the span's exception").isNotNull();
        if (error instanceof ErrorSummary summary) {
            Class<?> recorded;
            try {
                recorded = Class.forName(summary.type(), false, TraceAssertions.class.getClassLoader());
            }
            catch (ClassNotFoundException ex) {
                throw new AssertionError("the span's exception type " + summary.type() + " is no class", ex);
            }
            assertThat(recorded).as("the span's exception type").isAssignableTo(type);
        }
        else {
            assertThat(error).isInstanceOf(type);
        }
        return assertThat(error);
    }

}
