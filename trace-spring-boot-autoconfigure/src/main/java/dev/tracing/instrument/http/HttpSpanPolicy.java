package dev.tracing.instrument.http;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.PatternSyntaxException;

import dev.tracing.instrument.sampling.SamplingRules;
import dev.tracing.internal.HttpTokens;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;

/**
 * The one HTTP span policy: how server and client spans are named and tagged, which requests are
 * skipped, and what is never recorded. Every HTTP adapter (WebFlux filter, WebClient filter,
 * servlet filter, RestTemplate/RestClient interceptor) only translates its request and response
 * types into calls on this class.
 *
 * <p>Names and tags follow the OpenTelemetry HTTP semantic conventions: a server span is named
 * {@code "{METHOD} {route}"} from the matched route pattern, or just the method when no route
 * matched (never the raw path, whose cardinality is unbounded); a client span is named
 * {@code "{METHOD} {template path}"} when the call was made with a URI template, else after the
 * method. A method outside the known set is recorded as {@code _OTHER} (the original in
 * {@code http.request.method_original}) and names the span {@code HTTP}. URL user-info is never
 * recorded, nor are credential headers, even when a user names
 * them in {@code trace.web.server.record-headers}; query strings only when the application opts
 * in ({@code trace.web.record-query}), since they often carry tokens. Path parameters
 * ({@code ;name=value} in a path segment) are never recorded either: that is where a servlet
 * container puts the session id ({@code ;jsessionid=...}) when cookies are off, and Spring's
 * route matching ignores them too.
 */
public final class HttpSpanPolicy {

    /**
     * The methods the OpenTelemetry HTTP conventions know (RFC 9110 and PATCH), case-sensitive: any
     * other is recorded as {@code _OTHER} and names its span {@code HTTP}, so a client cannot make
     * span names without bound.
     */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
            "OPTIONS", "TRACE", "PATCH");

    private static final String OTHER_METHOD = "_OTHER";

    private static final String OTHER_METHOD_NAME = "HTTP";

    /** Tag set when the caller went away before the response was complete. */
    public static final String CANCELLED_TAG = "cancelled";

    private static final Set<String> SENSITIVE_HEADERS = Set.of("authorization", "proxy-authorization", "cookie",
            "set-cookie");

    /**
     * The text of each status code in use, made once: the status tag (and the error tag of a
     * failed status) would otherwise format it again on every request.
     */
    private static final String[] STATUS_TEXTS = new String[600];

    private final SkipPattern skipPattern;

    private final String responseHeader;

    private final boolean w3cResponseHeader;

    private final String[] recordHeaders;

    private final boolean recordQuery;

    private final SamplingRules samplingRules;

    /** SERVER span names by method and route. */
    private final SpanNames serverNames = new SpanNames(false);

    /** CLIENT span names and template paths by method and URI template. */
    private final SpanNames clientNames = new SpanNames(true);

    /**
     * The text of the ports called lately, by the port's low bits: an application calls few ports, and
     * {@code server.port} would otherwise format one on every call. A race loses an entry or makes one twice.
     */
    private final PortText[] portTexts = new PortText[16];

    private final Supplier<TraceContext> untracedContexts;

    private HttpSpanPolicy(Builder builder) {
        this.recordQuery = builder.recordQuery;
        this.skipPattern = builder.skipPattern;
        this.responseHeader = builder.responseHeader;
        this.w3cResponseHeader = "traceresponse".equalsIgnoreCase(this.responseHeader);
        this.recordHeaders = builder.recordHeaders.toArray(new String[0]);
        this.samplingRules = builder.samplingRules;
        this.untracedContexts = builder.untracedContexts;
    }

    /**
     * A new trace context for a request the skip pattern leaves out to run in, or null for none: one
     * that is not sampled, so that what runs inside the request (Spring Security's Observations of a
     * health probe, a call a health indicator makes) records nothing either, instead of each starting
     * a trace of its own.
     */
    public TraceContext untracedContext() {
        try {
            return untracedContexts != null ? untracedContexts.get() : null;
        }
        catch (RuntimeException ex) {
            // tracing never fails a request
            return null;
        }
    }

    /** Returns a builder of a policy that skips nothing, writes no response header and records no header or query. */
    public static Builder builder() {
        return new Builder();
    }

    /** The default skip pattern: the actuator base path, static resources and the favicon. */
    public static String defaultSkipPattern(String actuatorBasePath) {
        return SkipPattern.defaultPattern(actuatorBasePath);
    }

    /** Returns true when requests to {@code path} get no span; its path parameters are ignored. */
    public boolean skip(String path) {
        return skipPattern != null && path != null && skipPattern.matches(withoutPathParameters(path));
    }

    /** Returns whether query strings are recorded; adapters read a request's query only then. */
    public boolean recordsQuery() {
        return recordQuery;
    }

    /** Returns the response header to write the trace into, or null. */
    public String responseHeader() {
        return responseHeader;
    }

    /** Returns the value of the response header for {@code context}. */
    public String responseHeaderValue(TraceContext context) {
        if (!w3cResponseHeader) {
            return context.traceId();
        }
        String traceId = context.traceId();
        // traceresponse has traceparent's grammar: a 64-bit trace id is padded to 32 characters
        String padded = traceId.length() == 16 ? "0000000000000000" + traceId : traceId;
        return "00-" + padded + "-" + context.spanId() + (Boolean.TRUE.equals(context.sampled()) ? "-01" : "-00");
    }

    /**
     * Starts the SERVER span of an incoming request from the builder the propagator extracted.
     * @param path the path, without query string; its path parameters are not recorded
     * @param query the raw query string (recorded only when the policy opts in), null when none
     * @param request the adapter's request, which {@code reader} reads the caller's address and headers from,
     *        only when the span records (formatting an address is one of the larger costs of a request that is
     *        not sampled)
     */
    public <R> Span startServerSpan(Span.Builder extracted, String method, String scheme, String path, String query,
            String host, R request, RequestReader<? super R> reader) {
        String known = knownMethod(method);
        samplingRules.applyToRequest(extracted, method, path);
        Span span = extracted.kind(Span.Kind.SERVER).name(known != null ? known : OTHER_METHOD_NAME).start();
        if (span.isNoop()) {
            return span;
        }
        tagMethod(span, method, known);
        tagIfPresent(span, "url.scheme", scheme);
        tagIfPresent(span, "url.path", path == null ? null : withoutPathParameters(path));
        if (recordQuery) {
            tagIfPresent(span, "url.query", query);
        }
        tagIfPresent(span, "server.address", host);
        tagIfPresent(span, "client.address", reader.clientAddress(request));
        tagIfPresent(span, "user_agent.original", reader.header(request, "User-Agent"));
        for (String name : recordHeaders) {
            tagIfPresent(span, "http.request.header." + name, reader.header(request, name));
        }
        return span;
    }

    /**
     * Tags a SERVER span again with what a proxy's forwarded headers say of the request: each value
     * given replaces the one the span started with; null leaves it.
     */
    public void tagServerAddresses(Span span, String scheme, String host, String clientAddress) {
        tagIfPresent(span, "url.scheme", scheme);
        tagIfPresent(span, "server.address", host);
        tagIfPresent(span, "client.address", clientAddress);
    }

    /**
     * Names, tags and ends a SERVER span.
     * @param route the matched route pattern, null when none matched
     * @param status the response status, 0 when unknown
     * @param error the failure, or null
     * @param cancelled whether the caller went away first
     */
    public void endServerSpan(Span span, String method, String route, int status, Throwable error, boolean cancelled) {
        endServerSpan(span, method, route, status, error, null, cancelled);
    }

    /**
     * Names, tags and ends a SERVER span whose request may have failed with an exception that the
     * application handled ({@code handled}, turned into a response by an exception handler): it is
     * recorded as the span's error when the response is a 5xx, and otherwise only as
     * {@code exception.type} and {@code exception.message} (a 4xx answered on purpose is not a server
     * error, per OpenTelemetry's HTTP conventions).
     */
    public void endServerSpan(Span span, String method, String route, int status, Throwable error, Throwable handled,
            boolean cancelled) {
        if (!span.isNoop() && error == null && handled != null) {
            if (status >= 500) {
                error = handled;
            }
            else {
                span.tag("exception.type", handled.getClass().getName());
                tagIfPresent(span, "exception.message", handled.getMessage());
            }
        }
        if (!span.isNoop()) {
            // "/**" is the static-resource fallback: it says nothing about the request
            if (route != null && !route.isEmpty() && !"/**".equals(route)) {
                String known = knownMethod(method);
                span.name(serverNames.name(known != null ? known : OTHER_METHOD_NAME, route));
                span.tag("http.route", route);
            }
            endExchange(span, status, error, cancelled, 500);
        }
        span.end();
    }

    /** Starts a CLIENT span for an outgoing request; {@code builder} has its parent set. */
    public Span startClientSpan(Span.Builder builder, String method, URI uri) {
        return startClientSpan(builder, method, uri, null);
    }

    /**
     * Starts a CLIENT span for an outgoing request made with a URI template ({@code uriTemplate},
     * null when the request had none): the span is named {@code {METHOD} {template path}} and tagged
     * {@code url.template}, never with the raw path, which carries ids; without a template it is
     * named {@code {METHOD}}. {@code builder} has its parent set.
     */
    public Span startClientSpan(Span.Builder builder, String method, URI uri, String uriTemplate) {
        String known = knownMethod(method);
        String name = known != null ? known : OTHER_METHOD_NAME;
        SpanNames.Named named = uriTemplate != null && uriTemplate.indexOf('{') >= 0
                ? clientNames.named(name, uriTemplate) : null;
        Span span = builder.kind(Span.Kind.CLIENT).name(named != null ? named.name() : name).start();
        if (span.isNoop()) {
            return span;
        }
        tagMethod(span, method, known);
        if (named != null) {
            tagIfPresent(span, "url.template", named.templatePath());
        }
        if (uri != null) {
            tagIfPresent(span, "url.full", recordQuery ? urlFullWithQuery(uri) : urlFull(uri));
            tagIfPresent(span, "server.address", host(uri));
            int given = port(uri);
            int port = given != -1 ? given : defaultPort(uri.getScheme());
            if (port > 0) {
                span.tag("server.port", portText(port));
            }
        }
        return span;
    }

    /**
     * The path of a URI template ({@code http://{host}/stock/{id}?src={src}} gives
     * {@code /stock/{id}}): no scheme, authority, query or fragment; null for no template, and
     * for a "template" without a single variable, which Spring also reports for a URL the caller
     * concatenated ({@code .uri(base + "/stock/" + id)}) and whose path would carry the ids.
     */
    static String templatePath(String uriTemplate) {
        if (uriTemplate == null || uriTemplate.indexOf('{') < 0) {
            return null;
        }
        String path = uriTemplate.trim();
        int scheme = path.indexOf("://");
        if (scheme >= 0) {
            int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        int query = path.indexOf('?');
        int fragment = path.indexOf('#');
        int end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
        if (end >= 0) {
            path = path.substring(0, end);
        }
        if (path.isEmpty()) {
            return "/";
        }
        return path.startsWith("/") ? path : "/" + path;
    }

    /** Tags and ends a CLIENT span; 4xx and 5xx responses are errors. */
    public void endClientSpan(Span span, int status, Throwable error, boolean cancelled) {
        if (!span.isNoop()) {
            endExchange(span, status, error, cancelled, 400);
        }
        span.end();
    }

    /** Returns {@code method} when it is one of the known methods, else null. */
    static String knownMethod(String method) {
        return method != null && KNOWN_METHODS.contains(method) ? method : null;
    }

    private static void tagMethod(Span span, String method, String known) {
        if (known != null) {
            span.tag("http.request.method", known);
        }
        else {
            span.tag("http.request.method", OTHER_METHOD);
            tagIfPresent(span, "http.request.method_original", method);
        }
    }

    private static String statusText(int status) {
        if (status < 100 || status >= STATUS_TEXTS.length) {
            return Integer.toString(status);
        }
        // a race makes two equal strings, and either is right
        String text = STATUS_TEXTS[status];
        if (text == null) {
            text = Integer.toString(status);
            STATUS_TEXTS[status] = text;
        }
        return text;
    }

    private static void endExchange(Span span, int status, Throwable error, boolean cancelled, int errorFrom) {
        if (status > 0) {
            span.tag("http.response.status_code", statusText(status));
        }
        if (error != null) {
            span.error(error);
        }
        else if (status >= errorFrom) {
            span.tag("error", statusText(status));
        }
        if (cancelled) {
            span.tag(CANCELLED_TAG, "true");
        }
    }

    /**
     * Returns {@code uri} without user-info, path parameters, query string or fragment: they carry
     * credentials, session ids and tokens.
     */
    public static String urlFull(URI uri) {
        String scheme = uri.getScheme();
        String host = host(uri);
        String path = uri.getRawPath();
        if (scheme == null || host == null) {
            return path == null ? null : withoutPathParameters(path);
        }
        int port = port(uri);
        if (path != null && !path.isEmpty() && path.indexOf(';') < 0 && uri.getRawUserInfo() == null
                && uri.getRawQuery() == null && uri.getRawFragment() == null) {
            // a URI parsed from text keeps that text: of the same length as the answer, it is the answer
            String text = uri.toString();
            if (text.length() == scheme.length() + 3 + host.length() + (port == -1 ? 0 : 1 + digits(port))
                    + path.length()) {
                return text;
            }
        }
        StringBuilder url = new StringBuilder(64).append(scheme).append("://").append(host);
        if (port != -1) {
            url.append(':').append(port);
        }
        url.append(path == null || path.isEmpty() ? "/" : withoutPathParameters(path));
        return url.toString();
    }

    /**
     * The host of {@code uri}, also where {@code java.net.URI} has none: a name with an underscore
     * ({@code orders_service}, a Docker Compose service) makes its authority "registry-based", yet
     * Spring's connectors still send the request there.
     */
    static String host(URI uri) {
        String host = uri.getHost();
        if (host != null) {
            return host;
        }
        String hostAndPort = registryAuthority(uri);
        if (hostAndPort == null) {
            return null;
        }
        int colon = hostAndPort.lastIndexOf(':');
        String name = colon >= 0 ? hostAndPort.substring(0, colon) : hostAndPort;
        return name.isEmpty() ? null : name;
    }

    /** The port of {@code uri}, read as {@link #host(URI)} reads the host; -1 for none. */
    static int port(URI uri) {
        if (uri.getHost() != null) {
            return uri.getPort();
        }
        String hostAndPort = registryAuthority(uri);
        int colon = hostAndPort == null ? -1 : hostAndPort.lastIndexOf(':');
        if (colon < 0 || colon == hostAndPort.length() - 1 || hostAndPort.length() - colon > 6) {
            return -1;
        }
        int port = 0;
        for (int i = colon + 1; i < hostAndPort.length(); i++) {
            char c = hostAndPort.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 0xffff ? port : -1;
    }

    /** The authority of a URI without a server-based host, without its user-info; null for none. */
    private static String registryAuthority(URI uri) {
        String authority = uri.getRawAuthority();
        if (authority == null || authority.indexOf('[') >= 0) {
            return null;
        }
        return authority.substring(authority.lastIndexOf('@') + 1);
    }

    private static int digits(int port) {
        int digits = 1;
        for (int rest = port / 10; rest > 0; rest /= 10) {
            digits++;
        }
        return digits;
    }

    /**
     * Returns {@code path} without the parameters of its segments: {@code /a;jsessionid=1/b;v=2}
     * becomes {@code /a/b}. Returns {@code path} itself when it has none.
     */
    public static String withoutPathParameters(String path) {
        int semicolon = path.indexOf(';');
        if (semicolon < 0) {
            return path;
        }
        StringBuilder result = new StringBuilder(path.length()).append(path, 0, semicolon);
        int next = path.indexOf('/', semicolon);
        while (next >= 0) {
            semicolon = path.indexOf(';', next);
            int end = semicolon < 0 ? path.length() : semicolon;
            result.append(path, next, end);
            next = semicolon < 0 ? -1 : path.indexOf('/', semicolon);
        }
        return result.toString();
    }

    /** Returns {@code uri} without user-info or fragment, with its query string. */
    static String urlFullWithQuery(URI uri) {
        String query = uri.getRawQuery();
        String url = urlFull(uri);
        return query == null ? url : url + '?' + query;
    }

    private String portText(int port) {
        int slot = port & (portTexts.length - 1);
        PortText known = portTexts[slot];
        if (known != null && known.port == port) {
            return known.text;
        }
        String text = Integer.toString(port);
        portTexts[slot] = new PortText(port, text);
        return text;
    }

    /** A port and its text. */
    private record PortText(int port, String text) {
    }

    private static int defaultPort(String scheme) {
        if ("http".equalsIgnoreCase(scheme)) {
            return 80;
        }
        if ("https".equalsIgnoreCase(scheme)) {
            return 443;
        }
        return -1;
    }

    private static void tagIfPresent(Span span, String key, String value) {
        if (value != null && !value.isEmpty()) {
            span.tag(key, value);
        }
    }

    /**
     * Reads what a SERVER span records from an adapter's request type; asked only when the span
     * records. A constant per adapter, so starting a span allocates no lambda for it.
     * @param <R> the adapter's request type
     */
    public interface RequestReader<R> {

        /** Returns the caller's address, or null. */
        String clientAddress(R request);

        /** Returns the first value of the request header {@code name}, or null when absent. */
        String header(R request, String name);

    }

    /** Configures an {@link HttpSpanPolicy}; each setter checks its own value. */
    public static final class Builder {

        private SkipPattern skipPattern;

        private String responseHeader;

        private List<String> recordHeaders = List.of();

        private boolean recordQuery;

        private SamplingRules samplingRules = SamplingRules.NONE;

        private Supplier<TraceContext> untracedContexts;

        private Builder() {
        }

        /**
         * Where the contexts that skipped requests run in come from: new trace contexts that are not
         * sampled, and whose children are not sampled either ({@link #untracedContext()}). Without it a
         * skipped request runs with no context.
         */
        public Builder untracedContexts(Supplier<TraceContext> untracedContexts) {
            this.untracedContexts = untracedContexts;
            return this;
        }

        /** The rules that decide a trace a request starts, by its path and method; default none. */
        public Builder samplingRules(SamplingRules samplingRules) {
            this.samplingRules = samplingRules;
            return this;
        }

        /**
         * The regular expression of request paths that get no span; null or empty for none.
         * @throws IllegalArgumentException when it is not a valid regular expression
         */
        public Builder skipPattern(String skipPattern) {
            try {
                this.skipPattern = SkipPattern.compile(skipPattern);
            }
            catch (PatternSyntaxException ex) {
                throw new IllegalArgumentException("is not a valid regular expression: " + ex.getDescription());
            }
            return this;
        }

        /**
         * The response header that carries the trace back to the caller: {@code traceresponse}
         * in the W3C format, any other name the bare trace id; null or blank for none.
         * @throws IllegalArgumentException when it is not an HTTP header name, which a server
         * would refuse on every response
         */
        public Builder responseHeader(String responseHeader) {
            String name = responseHeader == null || responseHeader.isBlank() ? null : responseHeader.trim();
            if (name != null && !HttpTokens.isHeaderName(name)) {
                throw new IllegalArgumentException("is not a valid HTTP header name");
            }
            this.responseHeader = name;
            return this;
        }

        /**
         * The request headers recorded as {@code http.request.header.<name>} tags; credential
         * headers are dropped, and empty entries (a trailing comma) ignored.
         * @throws IllegalArgumentException when an entry is not an HTTP header name
         */
        public Builder recordHeaders(List<String> recordHeaders) {
            List<String> headers = new ArrayList<>();
            for (String header : recordHeaders) {
                String name = header == null ? "" : header.trim().toLowerCase(Locale.ROOT);
                if (name.isEmpty()) {
                    continue;
                }
                if (!HttpTokens.isHeaderName(name)) {
                    throw new IllegalArgumentException("must hold valid HTTP header names");
                }
                if (!SENSITIVE_HEADERS.contains(name) && !headers.contains(name)) {
                    headers.add(name);
                }
            }
            this.recordHeaders = List.copyOf(headers);
            return this;
        }

        /**
         * Whether query strings are recorded ({@code url.query} on SERVER spans, in
         * {@code url.full} on CLIENT spans); they often carry tokens.
         */
        public Builder recordQuery(boolean recordQuery) {
            this.recordQuery = recordQuery;
            return this;
        }

        /** Returns the policy. */
        public HttpSpanPolicy build() {
            return new HttpSpanPolicy(this);
        }

    }

}
