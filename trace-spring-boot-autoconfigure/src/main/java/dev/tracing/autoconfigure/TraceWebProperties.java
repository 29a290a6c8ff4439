package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** HTTP instrumentation: WebFlux, Spring MVC, WebClient, RestTemplate and RestClient. */
@ConfigurationProperties("trace.web")
public class TraceWebProperties {

    private final Server server = new Server();

    private final Client client = new Client();

    /**
     * Whether query strings are recorded: as url.query on SERVER spans and in url.full on CLIENT
     * spans. Off by default, since query strings often carry tokens.
     */
    private boolean recordQuery = false;

    public boolean isRecordQuery() {
        return recordQuery;
    }

    public void setRecordQuery(boolean recordQuery) {
        this.recordQuery = recordQuery;
    }

    public Server getServer() {
        return server;
    }

    public Client getClient() {
        return client;
    }

    /** The server side: a SERVER span per incoming request. */
    public static class Server {

        /** Whether incoming requests (WebFlux and Spring MVC) get a SERVER span. */
        private boolean enabled = true;

        /**
         * Regular expression of request paths that get no span. Defaults to the actuator base
         * path (below spring.mvc.servlet.path when the actuator shares the application's port),
         * static resources and the favicon.
         */
        private String skipPattern;

        /**
         * Response header that carries the trace back to the caller; 'traceresponse' writes the
         * W3C format (00-traceid-spanid-flags), any other name the bare trace id. Empty means
         * off.
         */
        private String responseHeader = "";

        /**
         * Request headers recorded as 'http.request.header.<name>' tags. Credentials
         * (Authorization, Proxy-Authorization, Cookie, Set-Cookie) are never recorded.
         */
        private List<String> recordHeaders = new ArrayList<>();

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getSkipPattern() {
            return skipPattern;
        }

        public void setSkipPattern(String skipPattern) {
            this.skipPattern = skipPattern;
        }

        public String getResponseHeader() {
            return responseHeader;
        }

        public void setResponseHeader(String responseHeader) {
            this.responseHeader = responseHeader;
        }

        public List<String> getRecordHeaders() {
            return recordHeaders;
        }

        public void setRecordHeaders(List<String> recordHeaders) {
            this.recordHeaders = recordHeaders;
        }

    }

    /** The client side: a CLIENT span per outgoing request. */
    public static class Client {

        /** Whether outgoing requests (WebClient, RestTemplate, RestClient) get a CLIENT span. */
        private boolean enabled = true;

        /**
         * Whether WebClient connects through Reactor Netty without Spring's Observation entry in its
         * Reactor Context (the trace stays; the entry is put back for writing the request, and the
         * thread's Observation is not cleared inside the connect), so that Reactor Netty's copies of
         * that Context stay at three keys, which cost less. Turn off when code hung on the HttpClient,
         * or Reactor Netty's own metrics and observations, read the Observation from the Reactor
         * Context there.
         */
        private boolean trimConnectContext = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isTrimConnectContext() {
            return trimConnectContext;
        }

        public void setTrimConnectContext(boolean trimConnectContext) {
            this.trimConnectContext = trimConnectContext;
        }

    }

}
