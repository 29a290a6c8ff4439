package dev.tracing.autoconfigure;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpServer;
import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.LoggingSpanExporter;
import dev.tracing.export.OtlpSpanExporter;
import dev.tracing.export.SpanExporter;
import dev.tracing.export.ZipkinSpanExporter;
import dev.tracing.export.ZipkinV2JsonEncoder;
import dev.tracing.testing.LogLines;
import dev.tracing.testing.ZipkinServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.SpanReporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Which exporters a configuration gets, what they send, metrics, and the shutdown flush. */
class TraceExportersAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceExportersAutoConfiguration.class,
                TraceBatchingAutoConfiguration.class))
        .withPropertyValues("spring.application.name=export-test");

    @Test
    void withoutABackendThereIsNoReporterAndNoThread() {
        runner.withPropertyValues("trace.export.zipkin.endpoint=", "trace.export.otlp.endpoint= ").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(SpanExporter.class).doesNotHaveBean(BatchingSpanReporter.class);
            // skipped whole, its properties unbound: nothing of it is worth its start-up time
            assertThat(context).doesNotHaveBean(TraceExportersAutoConfiguration.class)
                .doesNotHaveBean(TraceZipkinProperties.class);
        });
    }

    @Test
    void eachConfiguredBackendGetsAnExporterBehindOneReporter() {
        runner.withPropertyValues("trace.export.zipkin.endpoint=http://127.0.0.1:9/api/v2/spans",
                "trace.export.otlp.endpoint=http://127.0.0.1:9/v1/traces", "trace.export.logging.enabled=true")
            .run(context -> {
                assertThat(context).hasSingleBean(ZipkinSpanExporter.class)
                    .hasSingleBean(OtlpSpanExporter.class)
                    .hasSingleBean(LoggingSpanExporter.class)
                    .hasSingleBean(BatchingSpanReporter.class);
                assertThat(context.getBean(BatchingSpanReporter.class).exporterNames())
                    .containsExactlyInAnyOrder("zipkin", "otlp", "logging");
            });
    }

    @Test
    void anExporterBeanOfTheApplicationsIsABackendBesideTheConfiguredOnes() {
        // README: two OtlpSpanExporter beans for two collectors, the second counted as otlp-2
        runner.withPropertyValues("trace.export.otlp.endpoint=http://127.0.0.1:9/v1/traces",
                "trace.export.zipkin.endpoint=http://127.0.0.1:9/api/v2/spans")
            .withBean("collectorB", OtlpSpanExporter.class, () -> new OtlpSpanExporter(dev.tracing.export.HttpSpanSender
                .create("http://127.0.0.1:9/b/v1/traces", zipkin2.reporter.Encoding.PROTO3, java.util.Map.of(),
                        Duration.ofSeconds(1))))
            .withBean("zipkinB", ZipkinSpanExporter.class, () -> new ZipkinSpanExporter(dev.tracing.export.HttpSpanSender
                .create("http://127.0.0.1:9/b/api/v2/spans", zipkin2.reporter.Encoding.JSON, java.util.Map.of(),
                        Duration.ofSeconds(1))))
            .run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(BatchingSpanReporter.class).exporterNames())
                    .containsExactlyInAnyOrder("otlp", "otlp-2", "zipkin", "zipkin-2");
            });
        // a bean of the configured exporter's own name replaces it
        runner.withPropertyValues("trace.export.otlp.endpoint=http://127.0.0.1:9/v1/traces")
            .withBean("traceOtlpSpanExporter", OtlpSpanExporter.class, () -> new OtlpSpanExporter(
                    dev.tracing.export.HttpSpanSender.create("http://127.0.0.1:9/b/v1/traces",
                            zipkin2.reporter.Encoding.PROTO3, java.util.Map.of(), Duration.ofSeconds(1))))
            .run(context -> assertThat(context.getBean(BatchingSpanReporter.class).exporterNames())
                .containsExactly("otlp"));
    }

    @Test
    void anEndpointWhoseUserInfoHoldsAQuoteIsUsed() {
        runner.withPropertyValues("trace.export.otlp.endpoint=http://user:pa'ss@127.0.0.1:9/v1/traces",
                "trace.export.zipkin.endpoint=http://user:pa'ss@127.0.0.1:9/api/v2/spans").run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(OtlpSpanExporter.class)
                        .hasSingleBean(ZipkinSpanExporter.class);
                });
    }

    @Test
    void invalidExportSettingsFailStartUpNamingTheProperty() {
        runner.withPropertyValues("trace.export.zipkin.endpoint=ftp://zipkin/api/v2/spans").run(context -> assertThat(
                context.getStartupFailure()).hasStackTraceContaining("trace.export.zipkin.endpoint"));
        runner.withPropertyValues("trace.export.otlp.endpoint=http//no-scheme").run(
                context -> assertThat(context.getStartupFailure()).hasStackTraceContaining("trace.export.otlp.endpoint"));
        // a collector's base URL, the habit from OTEL_EXPORTER_OTLP_ENDPOINT: nothing would ever be accepted there
        runner.withPropertyValues("trace.export.otlp.endpoint=http://collector:4318").run(context -> assertThat(
                context.getStartupFailure()).hasStackTraceContaining("trace.export.otlp.endpoint")
            .hasStackTraceContaining("with its path, e.g. http://localhost:4318/v1/traces"));
        // a docker-compose service name with an underscore is no host the JDK's client reaches: said at start-up
        runner.withPropertyValues("trace.export.otlp.endpoint=http://otel_collector:4318/v1/traces")
            .run(context -> assertThat(context.getStartupFailure())
                .hasStackTraceContaining("trace.export.otlp.endpoint")
                .hasStackTraceContaining("not a valid internet host name")
                .satisfies(failure -> assertThat(stackTrace(failure)).doesNotContain("otel_collector")));
        runner.withPropertyValues("trace.export.zipkin.endpoint=http://zipkin:94111/api/v2/spans").run(context -> assertThat(
                context.getStartupFailure()).hasStackTraceContaining("trace.export.zipkin.endpoint")
            .hasStackTraceContaining("port outside 1 to 65535"));
        runner.withPropertyValues("trace.export.zipkin.endpoint=http://zipkin:9411/").run(context -> assertThat(
                context.getStartupFailure()).hasStackTraceContaining("trace.export.zipkin.endpoint")
            .hasStackTraceContaining("with its path, e.g. http://localhost:9411/api/v2/spans"));
        runner.withPropertyValues("trace.export.batch.max-queue-size=10", "trace.export.batch.max-batch-size=20")
            .run(context -> assertThat(context.getStartupFailure())
                .hasStackTraceContaining("trace.export.batch.max-batch-size"));
        // headers are checked with the endpoint they are sent to
        runner.withPropertyValues("trace.export.zipkin.endpoint=http://127.0.0.1:9/api/v2/spans",
                "trace.export.zipkin.headers[bad name]=x").run(
                context -> assertThat(context.getStartupFailure()).hasStackTraceContaining("trace.export.zipkin.headers"));
        runner.withPropertyValues("trace.export.otlp.endpoint=http://127.0.0.1:9/v1/traces",
                "trace.export.otlp.headers[bad name]=x").run(
                context -> assertThat(context.getStartupFailure()).hasStackTraceContaining("trace.export.otlp.headers"));
        // a header value is a credential: the failure names the header, never shows its value
        runner.withPropertyValues("trace.export.otlp.endpoint=http://127.0.0.1:9/v1/traces",
                "trace.export.otlp.headers.x-api-key=s3cr3t\r\nHost: evil").run(context -> {
            assertThat(context.getStartupFailure()).hasStackTraceContaining("trace.export.otlp.headers")
                .hasStackTraceContaining("x-api-key");
            assertThat(stackTrace(context.getStartupFailure())).doesNotContain("s3cr3t");
        });
        runner.withPropertyValues("trace.export.batch.timeout=0s").run(
                context -> assertThat(context.getStartupFailure()).hasStackTraceContaining("trace.export.batch.timeout"));
    }

    @Test
    void spansEndedJustBeforeShutdownReachZipkin() throws Exception {
        ZipkinServer zipkin = ZipkinServer.shared();
        String[] traceId = new String[1];
        String[] recorded = new String[1];
        runner
            .withPropertyValues("trace.export.zipkin.endpoint=" + zipkin.baseUrl() + "/api/v2/spans",
                    "trace.export.batch.schedule-delay=1h")
            .run(context -> {
                Tracer tracer = context.getBean(Tracer.class);
                Span root = tracer.nextSpan().name("last-work").start();
                Span child = tracer.spanBuilder()
                    .setParent(root.context())
                    .name("select orders")
                    .kind(Span.Kind.CLIENT)
                    .remoteServiceName("postgres")
                    .remoteIpAndPort("10.0.0.7", 5432)
                    .start();
                child.event("query-sent");
                child.tag("db.system", "postgresql");
                child.error(new IllegalStateException("deadlock"));
                child.end();
                root.end();
                traceId[0] = root.context().traceId();
                recorded[0] = ZipkinV2JsonEncoder.INSTANCE
                    .encodeList(context.getBean(InMemorySpanStore.class).trace(traceId[0]));
                // the schedule would wait an hour: only the shutdown flush can send these
                assertThat(context.getBean(BatchingSpanReporter.class).exportedCount("zipkin")).isZero();
            });
        tools.jackson.databind.json.JsonMapper json = tools.jackson.databind.json.JsonMapper.builder().build();
        java.util.Set<tools.jackson.databind.JsonNode> expected = new java.util.HashSet<>();
        json.readTree(recorded[0]).forEach(expected::add);
        java.util.Set<tools.jackson.databind.JsonNode> stored = new java.util.HashSet<>();
        json.readTree(zipkin.awaitTrace(traceId[0], 2)).forEach(stored::add);
        // ids, parent, names, kind, times, endpoints (remote included), annotations, tags and error
        assertThat(stored).isEqualTo(expected);
        assertThat(recorded[0]).contains("\"remoteEndpoint\":{\"serviceName\":\"postgres\",\"ipv4\":\"10.0.0.7\",\"port\":5432}",
                "\"annotations\":[{", "\"error\":\"deadlock\"");
    }

    @Test
    void zipkinHeadersGetSpansThroughAnAuthenticatingProxyToZipkin() throws Exception {
        ZipkinServer zipkin = ZipkinServer.shared();
        HttpClient client = HttpClient.newHttpClient();
        ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
        // a proxy in front of a real Zipkin that lets through only requests with the right credentials
        HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/api/v2/spans", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                int status = 401;
                if ("Bearer s3cr3t".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(zipkin.baseUrl() + "/api/v2/spans"))
                        .header("Content-Type", exchange.getRequestHeaders().getFirst("Content-Type"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                    String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
                    if (encoding != null) {
                        forward.header("Content-Encoding", encoding);
                    }
                    status = client.send(forward.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                }
                answers.add(status);
                exchange.sendResponseHeaders(status, -1);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        proxy.start();
        try {
            String endpoint = "http://127.0.0.1:" + proxy.getAddress().getPort() + "/api/v2/spans";
            String[] traceId = new String[1];
            runner.withPropertyValues("trace.export.zipkin.endpoint=" + endpoint,
                    "trace.export.zipkin.headers.Authorization=Bearer s3cr3t").run(context -> {
                Span span = context.getBean(Tracer.class).nextSpan().name("behind-proxy").start();
                span.end();
                traceId[0] = span.context().traceId();
            });
            assertThat(zipkin.awaitTrace(traceId[0], 1)).contains("\"name\":\"behind-proxy\"");
            assertThat(answers).containsOnly(202);
            // without the header the proxy refuses, and the exporter counts the spans as dropped
            runner.withPropertyValues("trace.export.zipkin.endpoint=" + endpoint, "trace.export.batch.schedule-delay=10ms")
                .run(context -> {
                    context.getBean(Tracer.class).nextSpan().name("refused").start().end();
                    BatchingSpanReporter reporter = context.getBean(BatchingSpanReporter.class);
                    await().atMost(Duration.ofSeconds(10))
                        .until(() -> reporter.droppedCount("zipkin", BatchingSpanReporter.EXPORT_FAILED) > 0);
                    assertThat(reporter.droppedCount("zipkin", BatchingSpanReporter.EXPORT_FAILED)).isEqualTo(1);
                    assertThat(reporter.exportedCount("zipkin")).isZero();
                });
            assertThat(answers).contains(401);
        }
        finally {
            proxy.stop(0);
        }
    }

    @Test
    void spansAnOtlpCollectorRejectsInAnAcceptedRequestAreCountedAndItsReasonLogged() throws Exception {
        ConcurrentLinkedQueue<Integer> spansReceived = new ConcurrentLinkedQueue<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            try (exchange; InputStream body = new GZIPInputStream(exchange.getRequestBody())) {
                int spans = ExportTraceServiceRequest.parseFrom(body.readAllBytes())
                    .getResourceSpans(0)
                    .getScopeSpans(0)
                    .getSpansCount();
                spansReceived.add(spans);
                // as a collector whose pipeline refuses spans older than it accepts: it takes the request
                byte[] answer = ExportTraceServiceResponse.newBuilder()
                    .setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                        .setRejectedSpans(1)
                        .setErrorMessage("span timestamp too old"))
                    .build()
                    .toByteArray();
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, answer.length);
                exchange.getResponseBody().write(answer);
            }
        });
        collector.start();
        try (LogLines lines = LogLines.capture(BatchingSpanReporter.class.getName())) {
            String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces";
            runner.withPropertyValues("trace.export.otlp.endpoint=" + endpoint, "trace.export.batch.schedule-delay=10ms")
                .run(context -> {
                    Tracer tracer = context.getBean(Tracer.class);
                    BatchingSpanReporter reporter = context.getBean(BatchingSpanReporter.class);
                    for (int i = 0; i < 3; i++) {
                        tracer.nextSpan().name("span-" + i).start().end();
                        int sent = i + 1;
                        await().atMost(Duration.ofSeconds(10)).until(() -> reporter.exportedCount("otlp")
                                + reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED) == sent);
                    }
                    // one span per request, each rejected by the collector that took it
                    assertThat(spansReceived).containsExactly(1, 1, 1);
                    assertThat(reporter.droppedCount("otlp", BatchingSpanReporter.EXPORT_FAILED)).isEqualTo(3);
                    assertThat(reporter.exportedCount("otlp")).isZero();
                });
            assertThat(lines.lines()).anySatisfy(line -> assertThat(line.message()).contains("rejected 1 span(s)")
                .contains("span timestamp too old"));
        }
        finally {
            collector.stop(0);
        }
    }

    @Test
    void otlpExportSendsProtobufTheOfficialClassesDecode() throws Exception {
        ConcurrentLinkedQueue<ExportTraceServiceRequest> received = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> contentTypes = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> credentials = new ConcurrentLinkedQueue<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            try (exchange; InputStream body = "gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                received.add(ExportTraceServiceRequest.parseFrom(body.readAllBytes()));
                contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                credentials.add(exchange.getRequestHeaders().getFirst("Authorization") + " / "
                        + exchange.getRequestHeaders().getFirst("x-honeycomb-team"));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        collector.start();
        try {
            String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces";
            String[] ids = new String[2];
            runner.withPropertyValues("trace.export.otlp.endpoint=" + endpoint,
                    "trace.export.otlp.headers.Authorization=Bearer s3cr3t",
                    "trace.export.otlp.headers.x-honeycomb-team=team-key").run(context -> {
                Tracer tracer = context.getBean(Tracer.class);
                Span span = tracer.spanBuilder().name("GET /orders").kind(Span.Kind.SERVER).start();
                span.tag("http.route", "/orders");
                span.end();
                ids[0] = span.context().traceId();
                ids[1] = span.context().spanId();
            });
            assertThat(contentTypes).containsOnly("application/x-protobuf");
            // the headers hosted backends authenticate by
            assertThat(credentials).containsOnly("Bearer s3cr3t / team-key");
            List<io.opentelemetry.proto.trace.v1.Span> spans = received.stream()
                .flatMap(request -> request.getResourceSpansList().stream())
                .peek(resource -> assertThat(resource.getResource().getAttributes(0).getValue().getStringValue())
                    .isEqualTo("export-test"))
                .flatMap(resource -> resource.getScopeSpansList().stream())
                .flatMap(scope -> scope.getSpansList().stream())
                .toList();
            assertThat(spans).singleElement().satisfies(span -> {
                assertThat(java.util.HexFormat.of().formatHex(span.getTraceId().toByteArray())).isEqualTo(ids[0]);
                assertThat(java.util.HexFormat.of().formatHex(span.getSpanId().toByteArray())).isEqualTo(ids[1]);
                assertThat(span.getName()).isEqualTo("GET /orders");
                assertThat(span.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
                assertThat(span.getAttributes(0).getKey()).isEqualTo("http.route");
            });
        }
        finally {
            collector.stop(0);
        }
    }

    @Test
    void loggingExportWritesOneJsonLinePerSpan() {
        try (LogLines lines = LogLines.capture(LoggingSpanExporter.LOGGER_NAME)) {
            String[] spanId = new String[1];
            runner.withPropertyValues("trace.export.logging.enabled=true", "logging.level.dev.tracing.spans=info")
                .run(context -> {
                    Span span = context.getBean(Tracer.class).nextSpan().name("logged").start();
                    span.end();
                    spanId[0] = span.context().spanId();
                });
            assertThat(lines.lines()).extracting(LogLines.Line::message)
                .anySatisfy(line -> assertThat(line).startsWith("{\"traceId\":")
                    .contains("\"id\":\"" + spanId[0] + "\"", "\"name\":\"logged\"", "\"serviceName\":\"export-test\""));
        }
    }

    @Test
    void metricsCountExportedAndDroppedSpansAndShowTheQueue() {
        runner.withPropertyValues("trace.export.zipkin.endpoint=http://127.0.0.1:" + closedPort() + "/api/v2/spans",
                "trace.export.batch.schedule-delay=10ms", "trace.export.batch.timeout=500ms")
            .run(context -> {
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                context.getBean(dev.tracing.actuate.SpanExportMetrics.class).bindTo(registry);
                Tracer tracer = context.getBean(Tracer.class);
                for (int i = 0; i < 5; i++) {
                    tracer.nextSpan().name("doomed").start().end();
                }
                FunctionCounter failed = registry.get("trace.export.spans.dropped")
                    .tag("exporter", "zipkin")
                    .tag("reason", "export_failed")
                    .functionCounter();
                await().atMost(Duration.ofSeconds(10)).until(() -> failed.count() >= 5);
                assertThat(failed.count()).isEqualTo(5);
                assertThat(registry.get("trace.export.spans.exported").tag("exporter", "zipkin").functionCounter().count())
                    .isZero();
                assertThat(registry.get("trace.export.queue.size").gauge().value()).isZero();
                assertThat(registry.get("trace.export.spans.dropped").tag("reason", "queue_full").functionCounter().count())
                    .isZero();
            });
    }

    @Test
    void aReporterBeanNamedAsAnExporterIsCountedApartFromIt() {
        runner.withPropertyValues("trace.export.logging.enabled=true", "trace.export.batch.schedule-delay=10ms")
            .withBean("logging", SpanReporter.class, () -> span -> {
                throw new IllegalStateException("the application's reporter fails");
            })
            .run(context -> {
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                context.getBean(dev.tracing.actuate.SpanExportMetrics.class).bindTo(registry);
                Tracer tracer = context.getBean(Tracer.class);
                for (int i = 0; i < 3; i++) {
                    tracer.nextSpan().name("logged").start().end();
                }
                FunctionCounter exported = registry.get("trace.export.spans.exported")
                    .tag("exporter", "logging")
                    .functionCounter();
                FunctionCounter reporterFailed = registry.get("trace.export.spans.dropped")
                    .tag("exporter", "logging-2")
                    .tag("reason", "export_failed")
                    .functionCounter();
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> exported.count() >= 3 && reporterFailed.count() >= 3);
                // the exporter wrote all three, the reporter failed on all three: neither count hides the other
                assertThat(exported.count()).isEqualTo(3);
                assertThat(reporterFailed.count()).isEqualTo(3);
                assertThat(registry.get("trace.export.spans.dropped")
                    .tag("exporter", "logging")
                    .tag("reason", "export_failed")
                    .functionCounter()
                    .count()).isZero();
            });
    }

    /**
     * A backend and an application's reporter both down at shutdown: the exporters' queue and the
     * reporter's drain within one {@code trace.export.batch.timeout} together, not one after the
     * other, and what each could not send is counted.
     */
    @Test
    void atShutdownTheExportersAndTheApplicationsReportersShareOneTimeout() throws Exception {
        java.util.concurrent.CountDownLatch stuck = new java.util.concurrent.CountDownLatch(2);
        java.util.concurrent.CountDownLatch backendsBack = new java.util.concurrent.CountDownLatch(1);
        Runnable hang = () -> {
            stuck.countDown();
            try {
                backendsBack.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        };
        SpanExporter deadBackend = new SpanExporter() {
            @Override
            public String name() {
                return "dead";
            }

            @Override
            public void export(List<io.micrometer.tracing.exporter.FinishedSpan> spans) {
                hang.run();
            }
        };
        io.micrometer.tracing.exporter.SpanReporter deadWebhook = span -> hang.run();
        try {
            runner.withPropertyValues("trace.export.batch.timeout=1s", "trace.export.batch.schedule-delay=0s",
                    "trace.export.batch.max-batch-size=1")
                .withBean("deadBackend", SpanExporter.class, () -> deadBackend)
                .withBean("deadWebhook", io.micrometer.tracing.exporter.SpanReporter.class, () -> deadWebhook)
                .run(context -> {
                    Tracer tracer = context.getBean(Tracer.class);
                    tracer.nextSpan().name("stuck").start().end();
                    assertThat(stuck.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                    tracer.nextSpan().name("queued").start().end();
                    BatchingSpanReporter exporters = context.getBean(BatchingSpanReporter.class);
                    BatchingSpanReporter webhook = context.getBean(dev.tracing.export.BackgroundSpanReporters.class)
                        .background()
                        .get("deadWebhook");

                    long start = System.nanoTime();
                    context.close();
                    // one timeout (1 s) for both, where each took its own before (2 s)
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1900));
                    assertThat(exporters.droppedCount("dead", BatchingSpanReporter.SHUTDOWN)).isEqualTo(1);
                    assertThat(webhook.droppedCount("deadWebhook", BatchingSpanReporter.SHUTDOWN)).isEqualTo(1);
                });
        }
        finally {
            backendsBack.countDown();
        }
    }

    private static int closedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
        catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String stackTrace(Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }

}
