package dev.tracing.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Zipkin server (the {@code zipkin-server} exec jar that Maven copies into
 * {@code target/zipkin}), started on a free loopback port with in-memory storage.
 */
public final class ZipkinServer implements AutoCloseable {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;

    private final int port;

    private final Path log;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ZipkinServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    private static ZipkinServer shared;

    /**
     * The one server the test classes of this JVM share (a Zipkin start costs seconds), started
     * on first use and stopped when the JVM exits.
     */
    public static synchronized ZipkinServer shared() throws Exception {
        if (shared == null) {
            shared = start();
            ZipkinServer server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "zipkin-server-stop"));
        }
        return shared;
    }

    /** Waits up to 10 s for {@code traceId} to have {@code spans} spans; returns its JSON or throws. */
    public String awaitTrace(String traceId, int spans) {
        // each check is an HTTP call to another JVM: every 100 ms is often enough
        return Waits.await("Zipkin has trace " + traceId + " with " + spans + " spans")
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> getTrace(traceId), body -> body != null && countSpans(body) >= spans);
    }

    private static int countSpans(String json) {
        int count = 0;
        for (int i = json.indexOf("\"traceId\""); i >= 0; i = json.indexOf("\"traceId\"", i + 1)) {
            count++;
        }
        return count;
    }

    /** Starts the server and waits until it answers its health check. */
    public static ZipkinServer start() throws Exception {
        String jar = System.getProperty("zipkin.server.jar", "target/zipkin/zipkin-server.jar");
        if (!new File(jar).isFile()) {
            throw new IllegalStateException("zipkin-server exec jar not found at " + jar + " (run through Maven)");
        }
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Files.createTempFile("zipkin-server", ".log");
        Process process = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar,
                "--server.port=" + port, "--server.address=127.0.0.1", "--logging.level.root=WARN"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        ZipkinServer server = new ZipkinServer(process, port, log);
        server.awaitHealthy();
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void awaitHealthy() throws Exception {
        try {
            Waits.await("zipkin-server answers its health check")
                .atMost(STARTUP_TIMEOUT)
                .pollInterval(Duration.ofMillis(250))
                .until(this::healthy);
        }
        catch (RuntimeException | Error ex) {
            close();
            throw ex;
        }
    }

    private boolean healthy() throws Exception {
        if (!process.isAlive()) {
            throw new IllegalStateException("zipkin-server exited: " + Files.readString(log));
        }
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(baseUrl() + "/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        }
        catch (IOException ex) {
            // not listening yet
            return false;
        }
    }

    /** Returns {@code http://127.0.0.1:<port>}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** POSTs a Zipkin v2 JSON span array; returns the status code. */
    public int postSpans(String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/api/v2/spans"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** GETs {@code /api/v2/trace/{traceId}}; returns the body, or null on 404. */
    public String getTrace(String traceId) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(baseUrl() + "/api/v2/trace/" + traceId)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 ? response.body() : null;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(10),
                    java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        }
        catch (InterruptedException ex) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
