package dev.tracing.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import dev.tracing.internal.HttpTokens;
import zipkin2.reporter.BaseHttpSender;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.HttpEndpointSuppliers;

/**
 * POSTs span messages over HTTP with request headers of the user's choosing, such as the API key
 * or {@code Authorization} header a hosted OTLP backend asks for. One message is one request,
 * gzip-compressed, with the encoding's media type; any status outside 2xx fails the send, so the
 * exporter counts the batch as dropped.
 *
 * <p>Design notes: zipkin-reporter's {@code URLConnectionSender} cannot add headers, so this
 * builds on the same library's {@link BaseHttpSender} (endpoint handling, close semantics) and
 * only posts. Header values, and the endpoint's user-info and query, are never written into an
 * exception message or a log line: they can be credentials.
 */
public final class HttpSpanSender extends BaseHttpSender<URL, byte[]> {

    private final Map<String, String> headers;

    private final int timeoutMillis;

    private HttpSpanSender(String endpoint, Encoding encoding, Map<String, String> headers, Duration timeout) {
        super(encoding, HttpEndpointSuppliers.constantFactory(), endpoint);
        this.headers = headers;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    }

    /**
     * Creates a sender.
     * @param endpoint the http or https URL spans are POSTed to, with its path
     * @param encoding the encoding of the messages (its media type is the request's content type)
     * @param headers request headers added to every request; names must be HTTP tokens and values
     * must not hold line breaks
     * @param timeout the connect and the read timeout
     * @throws IllegalArgumentException for a malformed endpoint, header name or header value, or a
     * timeout that is not positive
     */
    public static HttpSpanSender create(String endpoint, Encoding encoding, Map<String, String> headers,
            Duration timeout) {
        checkEndpoint(endpoint, null);
        Map<String, String> checked = checkHeaders(headers);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        return new HttpSpanSender(endpoint.trim(), encoding, checked, timeout);
    }

    /**
     * Checks that {@code endpoint} is an http or https URL with a host and a path: a collector's
     * base URL, without the path that spans are posted to, would refuse every export.
     * @param example a working endpoint, named in the message; null for none
     * @return the endpoint without surrounding whitespace
     * @throws IllegalArgumentException when it is none of that; the message never shows the URL,
     * whose user-info and query can hold credentials
     */
    public static String checkEndpoint(String endpoint, String example) {
        String suffix = example == null ? "" : ", e.g. " + example;
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("must be an http or https URL with a host" + suffix);
        }
        try {
            URI uri = new URI(endpoint.trim());
            // a host with an underscore (a docker-compose service name) is no server-based authority to
            // java.net.URI, but HttpURLConnection reaches it
            boolean hasHost = uri.getHost() != null || (uri.getAuthority() != null && !uri.getAuthority().isBlank());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || !hasHost) {
                throw new IllegalArgumentException("must be an http or https URL with a host" + suffix);
            }
            if (uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath())) {
                throw new IllegalArgumentException("must be the URL that spans are posted to, with its path" + suffix);
            }
        }
        catch (URISyntaxException ex) {
            throw new IllegalArgumentException("is not a valid URL: " + ex.getReason());
        }
        return endpoint.trim();
    }

    /**
     * Checks every header: a name must be an HTTP token, a value must be present and hold no line
     * break.
     * @return an unmodifiable copy, in the given order
     * @throws IllegalArgumentException naming the first invalid header, never showing a value,
     * which is usually a credential
     */
    public static Map<String, String> checkHeaders(Map<String, String> headers) {
        Map<String, String> checked = new LinkedHashMap<>();
        headers.forEach((name, value) -> {
            if (!HttpTokens.isHeaderName(name)) {
                throw new IllegalArgumentException("'" + name + "' is not a valid HTTP header name");
            }
            if (value == null || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("the value of header '" + name + "' is missing or holds a line break");
            }
            checked.put(name, value);
        });
        return Collections.unmodifiableMap(checked);
    }

    @Override
    protected URL newEndpoint(String endpoint) {
        try {
            URL url = new URL(endpoint);
            String protocol = url.getProtocol().toLowerCase(Locale.ROOT);
            if (!protocol.equals("http") && !protocol.equals("https")) {
                throw new IllegalArgumentException("endpoint must be an http or https URL: " + endpoint);
            }
            return url;
        }
        catch (MalformedURLException ex) {
            throw new IllegalArgumentException("malformed endpoint " + endpoint, ex);
        }
    }

    @Override
    protected byte[] newBody(List<byte[]> encodedSpans) {
        return encoding.encode(encodedSpans);
    }

    @Override
    protected void postSpans(URL endpoint, byte[] body) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) endpoint.openConnection();
        try {
            connection.setConnectTimeout(timeoutMillis);
            connection.setReadTimeout(timeoutMillis);
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setRequestProperty("Content-Type", encoding.mediaType());
            connection.setRequestProperty("Content-Encoding", "gzip");
            headers.forEach(connection::setRequestProperty);
            try (OutputStream out = new GZIPOutputStream(connection.getOutputStream())) {
                out.write(body);
            }
            int status = connection.getResponseCode();
            // read the answer to its end so the connection can be reused
            try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
                if (in != null) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
            }
            if (status < 200 || status > 299) {
                throw new IOException("HTTP " + status + " from " + withoutCredentials(endpoint));
            }
        }
        catch (IOException | RuntimeException ex) {
            connection.disconnect();
            throw ex;
        }
    }

    /** The endpoint without its user-info and query, which can hold credentials too. */
    private static String withoutCredentials(URL endpoint) {
        return endpoint.getProtocol() + "://" + endpoint.getHost()
                + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort()) + endpoint.getPath();
    }

    @Override
    public String toString() {
        return "HttpSpanSender{" + encoding + ", headers=" + headers.keySet() + "}";
    }

}
