package dev.tracing.export;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPOutputStream;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import dev.tracing.internal.HttpTokens;
import dev.tracing.internal.LogText;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;

/**
 * POSTs span messages over HTTP with the JDK's {@link HttpClient}: one message is one request,
 * gzip-compressed, with the encoding's media type and the headers of the user's choosing (the
 * API key or {@code Authorization} a hosted backend asks for).
 *
 * <p>What a slow, redirecting or throttling backend can cost is bounded:
 * <ul>
 * <li>One deadline, {@code timeout}, covers the whole send: connecting, every attempt and every
 * wait between them. The answer's body is read in the background, up to 64 KB, then dropped, so a
 * backend that trickles its answer holds nothing; it is waited for, within the deadline, only where
 * an {@link AcceptedAnswerCheck} reads the body of an answer that took the message.</li>
 * <li>Redirects are never followed: a 307 would re-post the spans and the headers wherever the
 * backend points, a 301 or 302 would turn into a GET that "succeeds" while the spans are lost. A
 * redirect fails the send, naming the location (without its user-info and query).</li>
 * <li>429, 502, 503 and 504 answers and connection failures are tried again with exponential
 * backoff and jitter (100 ms, doubling, at most 5 s), honouring {@code Retry-After} up to 10 s,
 * while the deadline allows another attempt. A {@code Retry-After} longer than the deadline left
 * (up to 60 s) holds the next sends too: each waits out the rest where that leaves half its
 * deadline for the request, and otherwise waits its deadline out and fails without a request
 * ({@code throttled}): one batch per timeout is lost, the rest wait in the queue.</li>
 * <li>A 413 (Content Too Large, from the backend or a proxy before it) lowers the message limit
 * to half the refused message's size, and the exporters send that message's spans again in
 * halves: the limit of a proxy is learnt once, not paid for by every batch.</li>
 * </ul>
 * A send that finally fails throws an {@link ExportFailure} saying what kind of failure it was
 * (for logging once per kind) and the endpoint without its user-info and query; header values
 * appear in no message: they can be credentials.
 *
 * <p>Design notes: the exporter's thread is the only one that waits (never a request thread), and
 * one sender serves one backend, so a slow backend delays no other. The JDK client gives the
 * whole-request deadline, the no-redirect policy and connection reuse that
 * {@code HttpURLConnection} did not.
 */
public final class HttpSpanSender implements BytesMessageSender {

    /** The largest message: zipkin-reporter's usual 5 MiB. */
    static final int MESSAGE_MAX_BYTES = 5 * 1024 * 1024;

    /** The least a backend that answers 413 (Content Too Large) lowers {@link #messageMaxBytes()} to. */
    static final int MIN_MESSAGE_MAX_BYTES = 64 * 1024;

    static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** The longest {@code Retry-After} waited for within one send. */
    static final long MAX_RETRY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The longest {@code Retry-After} honoured across sends: a backend's throttle window, not an outage. */
    static final long MAX_THROTTLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** How much of an answer's body is read before the rest is dropped. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    /** The least time an answer's body is given to drain after its status, whatever the deadline left. */
    private static final long MIN_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final URI endpoint;

    private final String shownEndpoint;

    private final Encoding encoding;

    private final Map<String, String> headers;

    private final Duration timeout;

    private final HttpClient client;

    /** Reads the body of an answer that took the message, or null where the status says all. */
    private final AcceptedAnswerCheck acceptedAnswerCheck;

    private volatile boolean closed;

    /** The largest message made from now on: lowered by a 413 answer to a larger one. */
    private volatile int messageMaxBytes = MESSAGE_MAX_BYTES;

    /**
     * Whether the backend asked not to be sent to, by a {@code Retry-After} longer than a send could
     * wait, until {@link #throttledUntil}; sends are made by one exporter thread at a time.
     */
    private volatile boolean throttled;

    /** Until when (nanoTime) the backend asked not to be sent to, while {@link #throttled}. */
    private volatile long throttledUntil;

    private HttpSpanSender(URI endpoint, Encoding encoding, Map<String, String> headers, Duration timeout,
            AcceptedAnswerCheck acceptedAnswerCheck) {
        this.endpoint = endpoint;
        this.shownEndpoint = withoutCredentials(endpoint);
        this.encoding = encoding;
        this.headers = headers;
        this.timeout = timeout;
        this.acceptedAnswerCheck = acceptedAnswerCheck;
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .build();
    }

    /**
     * Creates a sender.
     * @param endpoint the http or https URL spans are POSTed to, with its path
     * @param encoding the encoding of the messages (its media type is the request's content type)
     * @param headers request headers added to every request; names must be HTTP tokens that the
     * JDK's client lets an application set, values must not hold line breaks. User-info in the
     * endpoint becomes a Basic {@code Authorization} header unless one is given
     * @param timeout the deadline of one send, retries included
     * @throws IllegalArgumentException for a malformed endpoint, header name or header value, or a
     * timeout that is not positive
     */
    public static HttpSpanSender create(String endpoint, Encoding encoding, Map<String, String> headers,
            Duration timeout) {
        return create(endpoint, encoding, headers, timeout, null);
    }

    /**
     * Creates a sender that also reads the body of every answer that takes a message (a 2xx), for
     * what the backend says it did not take after all: OTLP's partial success
     * ({@link OtlpSpanExporter#checkAnswer}). The body is read up to 64 KB and waited for within the
     * send's deadline; one that does not come in time counts as an empty one.
     * @param acceptedAnswerCheck reads such a body; null to go by the status alone
     * @see #create(String, Encoding, Map, Duration)
     */
    public static HttpSpanSender create(String endpoint, Encoding encoding, Map<String, String> headers,
            Duration timeout, AcceptedAnswerCheck acceptedAnswerCheck) {
        String checked = checkEndpoint(endpoint, null);
        Map<String, String> checkedHeaders = checkHeaders(headers);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        URI uri = URI.create(checked);
        if (uri.getRawUserInfo() != null) {
            // user-info in the endpoint is Basic authentication, sent as its header and kept out of the URL
            String userInfo = uri.getUserInfo();
            uri = withoutUserInfo(uri);
            if (checkedHeaders.keySet().stream().noneMatch("Authorization"::equalsIgnoreCase)) {
                Map<String, String> withAuthorization = new LinkedHashMap<>(checkedHeaders);
                withAuthorization.put("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(userInfo.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                checkedHeaders = Collections.unmodifiableMap(withAuthorization);
            }
        }
        HttpRequest.Builder probe = HttpRequest.newBuilder(uri);
        for (Map.Entry<String, String> header : checkedHeaders.entrySet()) {
            String name = header.getKey();
            try {
                probe.header(name, header.getValue());
            }
            catch (IllegalArgumentException ex) {
                // Host, Connection, Content-Length and the like belong to the client
                throw new IllegalArgumentException("header '" + name + "' cannot be set on an export request");
            }
        }
        return new HttpSpanSender(uri, encoding, checkedHeaders, timeout, acceptedAnswerCheck);
    }

    /** What the body of an answer that took a message may still say: that part of it was not taken. */
    @FunctionalInterface
    public interface AcceptedAnswerCheck {

        /**
         * Reads the body of an answer with a 2xx status.
         * @param body the body, at most 64 KB; empty when there was none, or it was longer, or it did
         * not come within the send's deadline
         * @param endpoint the endpoint without its user-info and query, to name in a failure
         * @throws PartialExportFailure when the body says that some of the message's spans were not taken
         */
        void check(byte[] body, String endpoint) throws PartialExportFailure;

    }

    /** {@code uri} without its user-info, the rest as it was written (a query may hold an '@' too). */
    private static URI withoutUserInfo(URI uri) {
        String authority = uri.getRawAuthority();
        return URI.create(uri.getScheme() + "://" + authority.substring(authority.lastIndexOf('@') + 1)
                + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                + (uri.getRawFragment() == null ? "" : "#" + uri.getRawFragment()));
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
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    || uri.getRawAuthority() == null || uri.getRawAuthority().isBlank()) {
                throw new IllegalArgumentException("must be an http or https URL with a host" + suffix);
            }
            if (uri.getHost() == null) {
                // java.net.URI, and so the JDK's client, takes no host name with an underscore (a
                // docker-compose service name, say): better said at start-up than at every export
                throw new IllegalArgumentException("has a host that is not a valid internet host name (an underscore, "
                        + "say), which the HTTP client cannot reach; use a name of letters, digits, '-' and '.' "
                        + "(a network alias in docker-compose)");
            }
            if (uri.getPort() == 0 || uri.getPort() > 0xffff) {
                // java.net.URI takes any number, the HTTP client fails every request with it
                throw new IllegalArgumentException("has a port outside 1 to 65535");
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
        Set<String> lowerCaseNames = new HashSet<>();
        headers.forEach((name, value) -> {
            if (!HttpTokens.isHeaderName(name)) {
                throw new IllegalArgumentException("'" + name + "' is not a valid HTTP header name");
            }
            String lowerCase = name.toLowerCase(Locale.ROOT);
            if (lowerCase.equals("content-type") || lowerCase.equals("content-encoding")) {
                // sent beside the sender's own, a second value the backend may read in place of it
                throw new IllegalArgumentException("header '" + name + "' is the sender's own: it sends "
                        + "gzip-compressed JSON or protobuf, as the endpoint's encoding asks");
            }
            if (!lowerCaseNames.add(lowerCase)) {
                throw new IllegalArgumentException("header '" + name + "' is given twice, in two spellings");
            }
            if (value == null || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("the value of header '" + name + "' is missing or holds a line break");
            }
            checked.put(name, value);
        });
        return Collections.unmodifiableMap(checked);
    }

    @Override
    public Encoding encoding() {
        return encoding;
    }

    /**
     * The largest message, 5 MiB before compression, until the backend (or a proxy before it)
     * answers 413 (Content Too Large): then half the size of the message it refused, at least
     * {@value #MIN_MESSAGE_MAX_BYTES} bytes, for this sender's life.
     */
    @Override
    public int messageMaxBytes() {
        return messageMaxBytes;
    }

    @Override
    public int messageSizeInBytes(List<byte[]> encodedSpans) {
        return encoding.listSizeInBytes(encodedSpans);
    }

    @Override
    public int messageSizeInBytes(int encodedSizeInBytes) {
        return encoding.listSizeInBytes(encodedSizeInBytes);
    }

    /**
     * Sends one message, trying again where it may help, within the deadline.
     * @throws ExportFailure when the backend did not take it
     */
    @Override
    public void send(List<byte[]> encodedSpans) throws IOException {
        send(encodedSpans, deadlineFromNow());
    }

    /**
     * The {@link System#nanoTime()} one timeout from now: the deadline of a send, or of the
     * several sends an exporter makes of one batch.
     */
    public long deadlineFromNow() {
        return System.nanoTime() + timeout.toNanos();
    }

    /**
     * Sends one message, trying again where it may help, until {@code deadline} (a
     * {@link System#nanoTime()}): an exporter that sends one batch in several messages gives them
     * one deadline, so a backend that answers each one late holds the batch one timeout, not one
     * per message.
     * @throws ExportFailure when the backend did not take it, or the deadline has passed
     */
    public void send(List<byte[]> encodedSpans, long deadline) throws IOException {
        if (closed) {
            throw new ExportFailure("closed", "the sender to " + shownEndpoint + " is closed");
        }
        awaitThrottle(deadline);
        byte[] body = gzip(encoding.encode(encodedSpans));
        long backoff = FIRST_BACKOFF_NANOS;
        while (true) {
            long wait;
            String failure;
            long askedToWait = -1;
            try {
                Drain drain = new Drain(acceptedAnswerCheck != null);
                HttpResponse<Void> response = exchange(body, deadline, drain);
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    if (acceptedAnswerCheck != null) {
                        acceptedAnswerCheck.check(drain.keptBody(deadline), shownEndpoint);
                    }
                    return;
                }
                if (status == 413) {
                    throw tooLarge(encodedSpans);
                }
                if (status != 429 && status != 502 && status != 503 && status != 504) {
                    throw new ExportFailure("HTTP " + status, "HTTP " + status + " from " + shownEndpoint);
                }
                // never sooner than the backoff: a Retry-After of 0 (or past) would make a busy loop of re-sends
                askedToWait = retryAfter(response.headers().firstValue("Retry-After").orElse(null));
                wait = Math.max(Math.min(askedToWait, MAX_RETRY_AFTER_NANOS), jittered(backoff));
                failure = "HTTP " + status;
            }
            catch (ConnectException | HttpConnectTimeoutException ex) {
                wait = jittered(backoff);
                failure = "connection failed";
            }
            long now = System.nanoTime();
            long remaining = deadline - now;
            if (wait >= remaining) {
                if (askedToWait >= remaining) {
                    // the next sends wait too, rather than each posting its batch into the same refusal
                    throttledUntil = now + askedToWait;
                    throttled = true;
                }
                throw new ExportFailure(failure,
                        failure + " from " + shownEndpoint + ", no time left to try again within " + timeout);
            }
            pause(wait);
            backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
        }
    }

    /**
     * Lowers the message limit below the size of a message the backend refused as too large, and
     * says so: the exporters send the message's spans again in smaller messages.
     */
    private ExportFailure tooLarge(List<byte[]> encodedSpans) {
        int refused = encoding.listSizeInBytes(encodedSpans);
        int lowered = Math.max(MIN_MESSAGE_MAX_BYTES, refused / 2);
        if (lowered < messageMaxBytes) {
            messageMaxBytes = lowered;
        }
        return new ExportFailure(ExportFailure.CONTENT_TOO_LARGE, "HTTP 413 from " + shownEndpoint + " for a message of "
                + encodedSpans.size() + " span(s), " + refused + " bytes before compression; messages are now at most "
                + messageMaxBytes + " bytes");
    }

    /**
     * Waits out what is left of the backend's {@code Retry-After} where it ends with at least half
     * the deadline left for the request; otherwise waits the deadline out and fails the send without
     * a request. So a throttled backend costs one batch per timeout, and the rest stay queued,
     * rather than each batch in turn failing at once (emptying the queue) or going out with no time
     * left to be answered.
     */
    private void awaitThrottle(long deadline) throws ExportFailure {
        if (!throttled) {
            return;
        }
        long now = System.nanoTime();
        long wait = throttledUntil - now;
        if (wait <= 0) {
            throttled = false;
            return;
        }
        long remaining = deadline - now;
        if (wait <= remaining / 2) {
            pause(wait);
            throttled = false;
            return;
        }
        pause(remaining);
        throw new ExportFailure("throttled", shownEndpoint + " asked not to be sent to for "
                + TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L) + " s more (Retry-After); not sent within "
                + timeout);
    }

    /** One attempt: returns the answer, whose body is left to {@code drain} in the background. */
    private HttpResponse<Void> exchange(byte[] body, long deadline, Drain drain) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new ExportFailure("timed out", "no answer from " + shownEndpoint + " within " + timeout);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
            .timeout(Duration.ofNanos(remaining))
            .header("Content-Type", encoding.mediaType())
            .header("Content-Encoding", "gzip")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        CompletableFuture<HttpResponse<Void>> answer = client.sendAsync(request.build(), info -> drain);
        HttpResponse<Void> response;
        try {
            response = answer.get(remaining, TimeUnit.NANOSECONDS);
        }
        catch (TimeoutException ex) {
            answer.cancel(true);
            throw new ExportFailure("timed out", "no answer from " + shownEndpoint + " within " + timeout);
        }
        catch (InterruptedException ex) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new ExportFailure("interrupted", "interrupted while sending to " + shownEndpoint);
        }
        catch (ExecutionException | CancellationException ex) {
            Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
            if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException) {
                throw (IOException) cause;
            }
            if (cause instanceof HttpTimeoutException) {
                throw new ExportFailure("timed out", "no answer from " + shownEndpoint + " within " + timeout);
            }
            if (cause instanceof ProtocolException notHttp) {
                // a status line or headers that are not HTTP (another service on the port, a hostile one): the
                // same again on every try, and the user's to see
                throw new ExportFailure("bad answer", "a bad answer from " + shownEndpoint + ": "
                        + LogText.withoutControls(String.valueOf(notHttp.getMessage())));
            }
            SSLException tls = tlsFailure(cause);
            if (tls != null) {
                // a handshake that failed fails again (a certificate, a plain-HTTP port): no retry, and the
                // reason in the warning, since it is the user's to fix
                throw new ExportFailure("TLS failed", "TLS with " + shownEndpoint + " failed: " + tls.getMessage());
            }
            // reset, closed or broken connections: the backend may be restarting
            ConnectException connection = new ConnectException(String.valueOf(cause.getMessage()));
            connection.initCause(cause);
            throw connection;
        }
        // the body drains after the status is in: one still coming at the deadline (or a second after a
        // status that came late) is cut off with its connection, else a backend that stalls its bodies would
        // hold a connection per batch for good. The cancel only closes a socket: it runs on the timer's thread
        long drainNanos = Math.max(MIN_DRAIN_NANOS, deadline - System.nanoTime());
        CompletableFuture.delayedExecutor(drainNanos, TimeUnit.NANOSECONDS, Runnable::run).execute(drain::cancel);
        int status = response.statusCode();
        if (status >= 300 && status < 400) {
            String location = response.headers()
                .firstValue("Location")
                .map(HttpSpanSender::withoutCredentials)
                .orElse("nowhere");
            throw new ExportFailure("redirect", "HTTP " + status + " from " + shownEndpoint + " redirects to "
                    + location + "; redirects are not followed, set the endpoint to where spans are taken");
        }
        return response;
    }

    /**
     * The TLS failure in {@code failure}'s causes, or null; also null where the connection cut the
     * handshake off (a reset, an end of stream: a TLS ingress restarting or shedding load), which
     * is a failed connection like any other, not a TLS fault the user has to fix.
     */
    private static SSLException tlsFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException tls) {
                return cutOff(tls) ? null : tls;
            }
        }
        return null;
    }

    /**
     * Whether {@code tls} is the connection's end during the handshake: caused by a reset or an end
     * of stream, or the JDK's "Remote host terminated the handshake" without a cause.
     */
    private static boolean cutOff(SSLException tls) {
        for (Throwable cause = tls.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof SocketException || cause instanceof EOFException
                    || cause instanceof ClosedChannelException) {
                return true;
            }
        }
        return tls instanceof SSLHandshakeException && tls.getCause() == null && tls.getMessage() != null
                && tls.getMessage().contains("terminated the handshake");
    }

    /** {@code Retry-After} in seconds or as an HTTP date, in nanoseconds capped at 60 s; -1 when absent or bad. */
    static long retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        String trimmed = value.trim();
        long nanos;
        try {
            nanos = TimeUnit.SECONDS.toNanos(Math.max(0L, Long.parseLong(trimmed)));
        }
        catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME);
                nanos = Math.max(0L, TimeUnit.MILLISECONDS.toNanos(at.toInstant().toEpochMilli()
                        - System.currentTimeMillis()));
            }
            catch (DateTimeParseException notADate) {
                return -1;
            }
        }
        return Math.min(nanos, MAX_THROTTLE_NANOS);
    }

    /** Half the backoff, plus a random part of the other half: callers that failed together spread out. */
    private static long jittered(long backoff) {
        return backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    }

    private static void pause(long nanos) throws ExportFailure {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ExportFailure("interrupted", "interrupted while waiting to send again");
        }
    }

    private static byte[] gzip(byte[] message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, message.length / 4));
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(message);
        }
        return out.toByteArray();
    }

    /** A URL without its user-info, query and fragment, which can hold credentials. */
    static String withoutCredentials(String url) {
        try {
            return withoutCredentials(URI.create(url.trim()));
        }
        catch (IllegalArgumentException ex) {
            return "an invalid URL";
        }
    }

    static String withoutCredentials(URI uri) {
        String host = uri.getHost() != null ? uri.getHost() : "";
        if (uri.getHost() == null && uri.getRawAuthority() != null) {
            String authority = uri.getRawAuthority();
            int at = authority.lastIndexOf('@');
            host = at < 0 ? authority : authority.substring(at + 1);
        }
        return (uri.getScheme() == null ? "" : uri.getScheme() + "://") + host
                + (uri.getPort() < 0 || uri.getHost() == null ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "HttpSpanSender{" + shownEndpoint + ", " + encoding + ", headers=" + headers.keySet() + "}";
    }

    /**
     * Reads an answer's body in the background and drops it, past 64 KB by cancelling: the status
     * is all a send needs, and a body that never ends must hold nothing. {@link #cancel} cuts it off
     * at the send's deadline, whenever the subscription comes. Where the body is to be checked, it
     * is kept, up to those 64 KB.
     */
    private static final class Drain implements HttpResponse.BodySubscriber<Void> {

        private static final byte[] NONE = new byte[0];

        private volatile Flow.Subscription subscription;

        private volatile boolean cancelled;

        /** Read to its end or failed: its connection may be another request's now, so never cancelled. */
        private volatile boolean done;

        private long read;

        /** The body read so far, where it is kept; null otherwise. */
        private final ByteArrayOutputStream kept;

        /** The whole body once read, or none when it failed, was cut off or is not kept. */
        private final CompletableFuture<byte[]> keptBody = new CompletableFuture<>();

        Drain(boolean keep) {
            this.kept = keep ? new ByteArrayOutputStream() : null;
        }

        /**
         * The body, once read to its end before {@code deadline} (nanoTime); else an empty one: the
         * status said the message was taken.
         */
        byte[] keptBody(long deadline) {
            try {
                return keptBody.get(Math.max(0L, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (TimeoutException | ExecutionException ex) {
                return NONE;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return NONE;
            }
        }

        @Override
        public CompletionStage<Void> getBody() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (cancelled) {
                subscription.cancel();
                return;
            }
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer item : items) {
                read += item.remaining();
                if (kept != null && read <= MAX_ANSWER_BYTES) {
                    byte[] bytes = new byte[item.remaining()];
                    item.get(bytes);
                    kept.writeBytes(bytes);
                }
            }
            if (read > MAX_ANSWER_BYTES) {
                keptBody.complete(NONE);
                subscription.cancel();
            }
        }

        @Override
        public void onError(Throwable throwable) {
            done = true;
            keptBody.complete(NONE);
        }

        @Override
        public void onComplete() {
            done = true;
            keptBody.complete(kept != null ? kept.toByteArray() : NONE);
        }

        /** Stops reading; a body read to its end already is not affected. */
        void cancel() {
            cancelled = true;
            keptBody.complete(NONE);
            Flow.Subscription current = subscription;
            if (current != null && !done) {
                current.cancel();
            }
        }

    }

}
