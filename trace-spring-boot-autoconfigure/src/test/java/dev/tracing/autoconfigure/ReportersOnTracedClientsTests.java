package dev.tracing.autoconfigure;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import dev.tracing.export.BatchingSpanReporter;
import dev.tracing.export.SpanExporter;
import dev.tracing.instrument.web.TraceClientHttpRequestInterceptor;
import dev.tracing.testing.LogLines;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exporters and reporters of the application's that send with a client the starter traces: the
 * tracer does not need them to exist, so their clients can need the tracer.
 */
class ReportersOnTracedClientsTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceExportersAutoConfiguration.class,
                TraceBatchingAutoConfiguration.class, TraceRestClientAutoConfiguration.class,
                RestClientAutoConfiguration.class, TraceWebFluxAutoConfiguration.class,
                WebClientAutoConfiguration.class, TraceKafkaAutoConfiguration.class, KafkaAutoConfiguration.class))
        .withPropertyValues("trace.export.batch.schedule-delay=0s");

    @Test
    void anExporterBuiltOnTheRestClientBuilderStartsWithATracedClientAndGetsTheSpans() {
        runner.withUserConfiguration(RestClientExporter.class).run(context -> {
            assertThat(context).hasNotFailed();
            RecordingExporter exporter = context.getBean(RecordingExporter.class);
            // its client is one the starter traces
            exporter.client.mutate()
                .requestInterceptors(interceptors -> assertThat(interceptors)
                    .hasAtLeastOneElementOfType(TraceClientHttpRequestInterceptor.class));
            context.getBean(Tracer.class).nextSpan().name("exported").start().end();
            await().untilAsserted(() -> assertThat(exporter.names).contains("exported"));
            // the export's own call is not traced: recorded, it would be exported, and its export recorded, forever
            Thread.sleep(1000);
            assertThat(exporter.names).containsExactly("exported");
            assertThat(context.getBean(BatchingSpanReporter.class).exporterNames()).contains("webhook");
        });
    }

    @Test
    void reportersOnTheWebClientBuilderOrAKafkaTemplateStartAndGetTheSpans() {
        runner.withUserConfiguration(WebClientAndKafkaReporters.class).run(context -> {
            assertThat(context).hasNotFailed();
            context.getBean(Tracer.class).nextSpan().name("reported").start().end();
            Names names = context.getBean(Names.class);
            await().untilAsserted(() -> assertThat(names.reported).containsExactlyInAnyOrder("webClient:reported",
                    "kafka:reported"));
        });
    }

    @Test
    void spansEndedWhileTheContextStartsReachTheReportersOnceItHasStarted() {
        runner.withUserConfiguration(StartupWork.class).run(context -> {
            assertThat(context).hasNotFailed();
            Names names = context.getBean(Names.class);
            await().untilAsserted(() -> assertThat(names.reported).containsExactly("plain:warm-up"));
        });
    }

    @Test
    void spansEndedWhileTheContextStartsAreHeldUpToTheQueueSizeAndTheRestCountedInAWarning() {
        try (LogLines log = LogLines.capture(DeferredSpanPipeline.class.getName())) {
            runner.withUserConfiguration(StartupWork.class)
                .withPropertyValues("trace.export.batch.max-queue-size=2",
                        "trace.export.batch.max-batch-size=2", "warm-up.spans=3")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Names names = context.getBean(Names.class);
                    await().untilAsserted(
                            () -> assertThat(names.reported).containsExactly("plain:warm-up", "plain:warm-up-2"));
                    assertThat(log.lines()).singleElement()
                        .satisfies(line -> assertThat(line.message()).startsWith("1 spans")
                            .contains("trace.export.batch.max-queue-size (2)"));
                });
        }
    }

    @Test
    void withLazyInitializationSpansStillReachTheReporters() {
        // spring.main.lazy-initialization=true: nothing of the pipeline is made unless something asks for it
        runner.withInitializer(context -> context
            .addBeanFactoryPostProcessor(new org.springframework.boot.LazyInitializationBeanFactoryPostProcessor()))
            .withUserConfiguration(RestClientExporter.class)
            .run(context -> {
                context.getBean(Tracer.class).nextSpan().name("lazy").start().end();
                RecordingExporter exporter = context.getBean(RecordingExporter.class);
                await().untilAsserted(() -> assertThat(exporter.names).containsExactly("lazy"));
            });
    }

    @Test
    void aSpanAFilterEndsWhileTheHeldSpansAreHandedOnIsHandedOnToo() {
        runner.withUserConfiguration(StartupWork.class, SpanEndingFilter.class).run(context -> {
            assertThat(context).hasNotFailed();
            Names names = context.getBean(Names.class);
            await().untilAsserted(
                    () -> assertThat(names.reported).containsExactlyInAnyOrder("plain:warm-up", "plain:from-a-filter"));
        });
    }

    @Test
    void aSpanPipelineOfTheApplicationsOutlivesTheBeansUsingTheTracer() {
        // with lazy initialization the pipeline and its sink are made last, once the context has started, and so
        // would be destroyed first
        runner.withInitializer(context -> context
            .addBeanFactoryPostProcessor(new org.springframework.boot.LazyInitializationBeanFactoryPostProcessor()))
            .withUserConfiguration(OwnPipeline.class)
            .run(context -> {
            assertThat(context).hasNotFailed();
            ClosingSink sink = context.getBean(ClosingSink.class);
            context.close();
            assertThat(sink.names).contains("closing");
        });
    }

    @Test
    void spansEndedWhileBeansUsingTheTracerCloseStillReachTheApplicationsReporters() {
        Queue<String> reported = new ConcurrentLinkedQueue<>();
        runner.withBean("plainReporter", SpanReporter.class, () -> span -> reported.add(span.getName()))
            .withBean(ClosingWork.class)
            .run(context -> {
                assertThat(context).hasNotFailed();
                context.close();
                assertThat(reported).contains("closing");
            });
    }

    @Configuration(proxyBeanMethods = false)
    static class RestClientExporter {

        @Bean
        RecordingExporter webhookExporter(RestClient.Builder builder) {
            return new RecordingExporter(builder.baseUrl("http://127.0.0.1:9").build());
        }

    }

    static final class RecordingExporter implements SpanExporter {

        final RestClient client;

        final Queue<String> names = new ConcurrentLinkedQueue<>();

        RecordingExporter(RestClient client) {
            this.client = client;
        }

        @Override
        public String name() {
            return "webhook";
        }

        @Override
        public void export(List<FinishedSpan> spans) {
            spans.forEach(span -> this.names.add(span.getName()));
            try {
                this.client.post().body("spans").retrieve().toBodilessEntity();
            }
            catch (RuntimeException ex) {
                // no backend listens: what matters is the call
            }
        }

    }

    static final class Names {

        final Queue<String> reported = new ConcurrentLinkedQueue<>();

    }

    @Configuration(proxyBeanMethods = false)
    static class WebClientAndKafkaReporters {

        @Bean
        Names names() {
            return new Names();
        }

        @Bean
        SpanReporter webClientReporter(WebClient.Builder builder, Names names) {
            WebClient client = builder.build();
            return span -> names.reported.add("webClient:" + span.getName() + (client == null ? "?" : ""));
        }

        @Bean
        SpanReporter kafkaReporter(KafkaTemplate<Object, Object> template, Names names) {
            return span -> names.reported.add("kafka:" + span.getName() + (template == null ? "?" : ""));
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class StartupWork {

        @Bean
        Names names() {
            return new Names();
        }

        @Bean
        SpanReporter plainReporter(Names names) {
            return span -> names.reported.add("plain:" + span.getName());
        }

        /** Work done as the bean is made, before the reporters and exporters exist. */
        @Bean
        Object warmUp(Tracer tracer, org.springframework.core.env.Environment environment) {
            int spans = environment.getProperty("warm-up.spans", Integer.class, 1);
            for (int i = 1; i <= spans; i++) {
                tracer.nextSpan().name(i == 1 ? "warm-up" : "warm-up-" + i).start().end();
            }
            return new Object();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class SpanEndingFilter {

        /** Ends a span of its own the first time it maps one: while the held spans are handed on, at start. */
        @Bean
        io.micrometer.tracing.exporter.SpanFilter spanEndingFilter(
                org.springframework.beans.factory.ObjectProvider<Tracer> tracer) {
            java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
            return span -> {
                if (ended.compareAndSet(false, true)) {
                    tracer.getObject().nextSpan().name("from-a-filter").start().end();
                }
                return span;
            };
        }

    }

    /** Where the application's own pipeline sends spans; it takes none once closed. */
    static final class ClosingSink implements AutoCloseable {

        final Queue<String> names = new ConcurrentLinkedQueue<>();

        private volatile boolean closed;

        void record(FinishedSpan span) {
            if (!this.closed) {
                this.names.add(span.getName());
            }
        }

        @Override
        public void close() {
            this.closed = true;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPipeline {

        @Bean
        ClosingSink closingSink() {
            return new ClosingSink();
        }

        @Bean
        dev.tracing.export.SpanPipeline traceSpanPipeline(ClosingSink sink) {
            return new dev.tracing.export.SpanPipeline(List.of(), List.of(), List.of(sink::record));
        }

        @Bean
        @org.springframework.context.annotation.Lazy(false)
        ClosingWork closingWork(Tracer tracer) {
            return new ClosingWork(tracer);
        }

    }

    static final class ClosingWork implements AutoCloseable {

        private final Tracer tracer;

        ClosingWork(Tracer tracer) {
            this.tracer = tracer;
        }

        @Override
        public void close() {
            this.tracer.nextSpan().name("closing").start().end();
        }

    }

}
