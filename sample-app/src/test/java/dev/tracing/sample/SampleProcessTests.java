package dev.tracing.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample as a user runs it: its own JVM, stopped with SIGTERM (what Ctrl-C and a container
 * runtime send). Every endpoint answers with tracing on or off, and the stop logs no ERROR line.
 */
class SampleProcessTests {

    private static final Pattern PORT = Pattern.compile("Netty started on port (\\d+)");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void withTracingOffEveryEndpointAnswersAndTheStopLogsNoError() throws Exception {
        try (SampleProcess sample = SampleProcess.start("--trace.enabled=false")) {
            HttpResponse<String> hello = get(sample.port(), "/api/hello");
            assertThat(hello.statusCode()).isEqualTo(200);
            assertThat(hello.body()).contains("\"message\":\"Hello, world!\"").contains("\"traceId\":\"\"");
            HttpResponse<String> chain = get(sample.port(), "/api/chain");
            assertThat(chain.statusCode()).isEqualTo(200);
            assertThat(chain.body()).contains("\"traceId\":\"\"");
            assertThat(get(sample.port(), "/actuator/health").statusCode()).isEqualTo(200);
            // no tracer, no store: the traces endpoint is not there, whatever the exposure says
            assertThat(get(sample.port(), "/actuator/traces").statusCode()).isEqualTo(404);
            assertThat(sample.stop()).as("exit code after SIGTERM").isIn(0, 143);
            assertThat(sample.errorLines()).isEmpty();
        }
    }

    @Test
    void withTracingOnTheStopAfterAChainLogsNoError() throws Exception {
        try (SampleProcess sample = SampleProcess.start()) {
            HttpResponse<String> chain = get(sample.port(), "/api/chain");
            assertThat(chain.statusCode()).isEqualTo(200);
            assertThat(chain.body()).containsPattern("\"traceId\":\"[0-9a-f]{32}\"");
            // the listener has logged, so the broker has written to its log directories
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(30))
                .until(() -> sample.lines().stream().anyMatch(line -> line.contains("Received event: chain called")));
            assertThat(sample.stop()).as("exit code after SIGTERM").isIn(0, 143);
            assertThat(sample.errorLines()).isEmpty();
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sample's main class in a JVM of its own, on this test's classpath. */
    static final class SampleProcess implements AutoCloseable {

        private final Process process;

        private final List<String> lines = new CopyOnWriteArrayList<>();

        private final Thread reader;

        private SampleProcess(Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        lines.add(line);
                    }
                }
                catch (IOException ex) {
                    // the process is gone
                }
            }, "sample-output");
            this.reader.setDaemon(true);
            this.reader.start();
        }

        static SampleProcess start(String... args) {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx512m");
            command.add("-cp");
            command.add(ManagementFactory.getRuntimeMXBean().getClassPath());
            command.add(SampleApplication.class.getName());
            command.add("--server.port=0");
            command.add("--spring.grpc.server.port=0");
            command.add("--spring.main.banner-mode=off");
            command.addAll(List.of(args));
            try {
                return new SampleProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
            }
            catch (IOException ex) {
                throw new IllegalStateException("could not start the sample", ex);
            }
        }

        int port() {
            return await().pollInterval(Duration.ofMillis(100)).atMost(Duration.ofSeconds(90)).until(() -> {
                assertThat(process.isAlive()).as("sample alive; output:%n%s", String.join("\n", lines)).isTrue();
                for (String line : lines) {
                    Matcher matcher = PORT.matcher(line);
                    if (matcher.find()) {
                        return Integer.parseInt(matcher.group(1));
                    }
                }
                return null;
            }, port -> port != null);
        }

        List<String> lines() {
            return lines;
        }

        /** Sends SIGTERM and waits for the exit; returns the exit code. */
        int stop() throws InterruptedException {
            // the handle's destroy only signals; Process.destroy also closes the pipe the sample logs to
            process.toHandle().destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within a minute").isTrue();
            reader.join(5000);
            return process.exitValue();
        }

        List<String> errorLines() {
            return lines.stream().filter(line -> line.contains(" ERROR ")).toList();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }

    }

}
