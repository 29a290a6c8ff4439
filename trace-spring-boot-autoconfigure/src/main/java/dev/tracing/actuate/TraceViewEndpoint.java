package dev.tracing.actuate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code traceview} actuator endpoint: a page that shows the recent traces of the
 * {@link TracesEndpoint} and one trace as a waterfall. {@code GET /actuator/traceview} lists the
 * traces; {@code ?trace={traceId}} opens one. The page is one HTML file in this jar, with its
 * script and styles inline: it loads nothing from elsewhere and works offline.
 *
 * <p>Design notes: the page reads the {@code traces} endpoint's JSON with relative URLs
 * ({@code traces}, {@code traces/{id}?view=tree}), so it works under any
 * {@code management.endpoints.web.base-path}, on a separate management port and behind a proxy
 * that adds a path prefix, and is secured exactly as the {@code traces} endpoint is. It is served
 * as an ordinary read operation, so exposure, access and security work as for any endpoint, on
 * WebFlux and Spring MVC alike. The {@code trace} parameter is read by the page, not here.
 */
@Endpoint(id = "traceview")
public class TraceViewEndpoint {

    static final String PAGE = "traceview.html";

    private final String page;

    public TraceViewEndpoint() {
        try (InputStream in = TraceViewEndpoint.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IllegalStateException(PAGE + " is missing beside " + TraceViewEndpoint.class.getName());
            }
            this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Returns the page.
     * @param trace the trace the page opens; read by the page's script
     */
    @ReadOperation(produces = "text/html;charset=UTF-8")
    public String page(@Nullable String trace) {
        return page;
    }

}
