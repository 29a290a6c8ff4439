package dev.tracing.actuate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;

/**
 * The {@code traceview} actuator endpoint: a page that shows the recent traces of the
 * {@link TracesEndpoint} and one trace as a waterfall. {@code GET /actuator/traceview} lists the
 * traces; {@code ?trace={traceId}} opens one. The page is one HTML file in this jar, with its
 * script and styles inline: it loads nothing from elsewhere and works offline.
 *
 * <p>Design notes: the page reads the {@code traces} endpoint's JSON with relative URLs
 * ({@code traces}, {@code traces/{id}?view=tree}), so it works under any
 * {@code management.endpoints.web.base-path}, on a separate management port and behind a proxy
 * that adds a path prefix, and is secured exactly as the {@code traces} endpoint is. Where
 * {@code management.endpoints.web.path-mapping} moves either endpoint, the relative path from the
 * page to the {@code traces} endpoint is written into the page when it is first served (not when
 * the bean is made: the endpoints' paths are known only once every endpoint bean exists). It is
 * served as an ordinary read operation, so exposure, access and security work as for any
 * endpoint, on WebFlux and Spring MVC alike. The {@code trace} parameter is read by the page, not
 * here.
 */
@WebEndpoint(id = "traceview")
public class TraceViewEndpoint {

    static final String PAGE = "traceview.html";

    private static final EndpointId TRACES = EndpointId.of("traces");

    private static final EndpointId TRACEVIEW = EndpointId.of("traceview");

    private final String template;

    private final Supplier<@Nullable PathMappedEndpoints> endpoints;

    private volatile @Nullable String page;

    /** A page that finds the {@code traces} endpoint beside it. */
    public TraceViewEndpoint() {
        this(() -> null);
    }

    /**
     * A page that finds the {@code traces} endpoint where {@code endpoints} maps it.
     * @param endpoints the web endpoints' paths, asked when the page is first served; null when
     * there are none
     */
    public TraceViewEndpoint(Supplier<@Nullable PathMappedEndpoints> endpoints) {
        try (InputStream in = TraceViewEndpoint.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IllegalStateException(PAGE + " is missing beside " + TraceViewEndpoint.class.getName());
            }
            this.template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        this.endpoints = endpoints;
    }

    /**
     * Returns the page.
     * @param trace the trace the page opens; read by the page's script
     */
    @ReadOperation(produces = "text/html;charset=UTF-8")
    public String page(@Nullable String trace) {
        String served = page;
        if (served == null) {
            served = render(tracesPath(endpoints.get()));
            page = served;
        }
        return served;
    }

    private static String tracesPath(@Nullable PathMappedEndpoints endpoints) {
        if (endpoints == null) {
            return "traces";
        }
        String view = endpoints.getRootPath(TRACEVIEW);
        String traces = endpoints.getRootPath(TRACES);
        return (view != null && traces != null) ? relativePath(view, traces) : "traces";
    }

    /**
     * The path of the endpoint at {@code tracesRoot} relative to the page at {@code viewRoot},
     * both below the same base path: {@code ("ui/traces", "history")} gives {@code "../history"}.
     */
    static String relativePath(String viewRoot, String tracesRoot) {
        String view = trimSlashes(viewRoot);
        StringBuilder path = new StringBuilder();
        for (int i = view.indexOf('/'); i >= 0; i = view.indexOf('/', i + 1)) {
            path.append("../");
        }
        return path.append(trimSlashes(tracesRoot)).toString();
    }

    private static String trimSlashes(String path) {
        int start = 0;
        int end = path.length();
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        while (end > start && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(start, end);
    }

    private String render(String tracesPath) {
        if (tracesPath.equals("traces")) {
            return template;
        }
        // a path mapping is the application's own configuration, but keep it from closing the string or tag
        String inScript = tracesPath.replace("\\", "\\\\").replace("'", "\\'").replace("<", "\\x3c");
        String inAttribute = tracesPath.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
        return template.replace("var TRACES = 'traces';", "var TRACES = '" + inScript + "';")
            .replace("href=\"traces\"", "href=\"" + inAttribute + "\"");
    }

}
