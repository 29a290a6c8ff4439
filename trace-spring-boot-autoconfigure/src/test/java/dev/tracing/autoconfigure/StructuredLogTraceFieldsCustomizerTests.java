package dev.tracing.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.json.JsonWriter.Members;
import org.springframework.boot.logging.structured.StructuredLoggingJsonMembersCustomizer;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Structured log lines of a started application, parsed as JSON: each of Boot's formats carries
 * the ids of the current span under its own field names, and a line outside a span none.
 */
@ExtendWith(OutputCaptureExtension.class)
class StructuredLogTraceFieldsCustomizerTests {

    private static final Logger logger = LoggerFactory.getLogger(StructuredLogTraceFieldsCustomizerTests.class);

    private static final JsonMapper json = JsonMapper.builder().build();

    private Set<String> systemPropertyNames;

    @BeforeEach
    void rememberSystemProperties() {
        systemPropertyNames = new HashSet<>(System.getProperties().stringPropertyNames());
    }

    @AfterEach
    void forgetLoggingSystemProperties() {
        // Boot copies the logging settings (CONSOLE_LOG_STRUCTURED_FORMAT, LOG_FILE) into system properties
        for (String name : System.getProperties().stringPropertyNames()) {
            if (!systemPropertyNames.contains(name)) {
                System.clearProperty(name);
            }
        }
    }

    @AfterAll
    static void restorePlainConsoleLogging() {
        // the logging system outlives the application; later tests in this JVM expect the plain pattern
        new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
            .properties("spring.main.banner-mode=off")
            .run()
            .close();
    }

    @Test
    void ecsLinesCarryTraceIdAndSpanIdAsEcsFields(CapturedOutput output) {
        Lines lines = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=ecs");
        JsonNode inside = lines.inside();
        assertThat(inside.path("trace").path("id").asString()).isEqualTo(lines.traceId());
        assertThat(inside.path("span").path("id").asString()).isEqualTo(lines.spanId());
        assertThat(inside.has("traceId")).isFalse();
        assertThat(inside.has("spanId")).isFalse();
        assertThat(inside.path("log").path("level").asString()).isEqualTo("INFO");
        assertNoIds(lines.outside());
    }

    @Test
    void logstashLinesKeepTraceIdAndSpanId(CapturedOutput output) {
        Lines lines = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=logstash");
        JsonNode inside = lines.inside();
        assertThat(inside.path("traceId").asString()).isEqualTo(lines.traceId());
        assertThat(inside.path("spanId").asString()).isEqualTo(lines.spanId());
        assertThat(inside.has("trace")).isFalse();
        assertThat(inside.has("span")).isFalse();
        assertNoIds(lines.outside());
    }

    @Test
    void gelfLinesCarryTheIdsAsAdditionalFields(CapturedOutput output) {
        Lines lines = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=gelf");
        JsonNode inside = lines.inside();
        assertThat(inside.path("_traceId").asString()).isEqualTo(lines.traceId());
        assertThat(inside.path("_spanId").asString()).isEqualTo(lines.spanId());
        assertThat(inside.has("traceId")).isFalse();
        assertThat(inside.has("trace")).isFalse();
        assertNoIds(lines.outside());
    }

    @Test
    void consoleAndFileEachGetTheNamesOfTheirOwnFormat(CapturedOutput output, @TempDir Path directory) {
        Path file = directory.resolve("app.log");
        Lines console = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=logstash",
                "logging.structured.format.file=ecs", "logging.file.name=" + file);
        Lines fromFile = console.reread(() -> read(file));
        assertThat(console.inside().path("traceId").asString()).isEqualTo(console.traceId());
        assertThat(console.inside().has("trace")).isFalse();
        assertThat(fromFile.inside().path("trace").path("id").asString()).isEqualTo(console.traceId());
        assertThat(fromFile.inside().path("span").path("id").asString()).isEqualTo(console.spanId());
        assertThat(fromFile.inside().has("traceId")).isFalse();
        assertNoIds(fromFile.outside());
    }

    @Test
    void idsTheUserRenamedKeepTheUsersNames(CapturedOutput output) {
        Lines lines = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=ecs",
                "logging.structured.json.rename.traceId=trace_id");
        JsonNode inside = lines.inside();
        assertThat(inside.path("trace_id").asString()).isEqualTo(lines.traceId());
        assertThat(inside.path("spanId").asString()).isEqualTo(lines.spanId());
        assertThat(inside.has("trace")).isFalse();
        assertThat(inside.has("span")).isFalse();
    }

    @Test
    void aCustomizerOfTheUsersOwnStillApplies(CapturedOutput output) {
        Lines lines = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=ecs",
                "logging.structured.json.customizer=" + TeamCustomizer.class.getName());
        assertThat(lines.inside().path("team").asString()).isEqualTo("payments");
        assertThat(lines.inside().path("trace").path("id").asString()).isEqualTo(lines.traceId());
        assertThat(lines.outside().path("team").asString()).isEqualTo("payments");
    }

    @Test
    void anMdcEntryUnderSpanKeepsTheLineWhole(CapturedOutput output) {
        MDC.put("span.kind", "internal");
        try {
            Lines lines = logInsideAndOutsideASpan(output::getOut, "logging.structured.format.console=ecs");
            JsonNode inside = lines.inside();
            assertThat(inside.path("span").path("kind").asString()).isEqualTo("internal");
            assertThat(inside.path("span.id").asString()).isEqualTo(lines.spanId());
            assertThat(inside.path("trace").path("id").asString()).isEqualTo(lines.traceId());
        }
        finally {
            MDC.remove("span.kind");
        }
    }

    @Test
    void withTracingOffTheLinesAreLeftAsBootWritesThem(CapturedOutput output) {
        try (ConfigurableApplicationContext context = start("logging.structured.format.console=ecs",
                "trace.enabled=false")) {
            assertThat(context.getBeanNamesForType(Tracer.class)).isEmpty();
            MDC.put("traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
            try {
                logger.info("another tracer's line");
            }
            finally {
                MDC.remove("traceId");
            }
            JsonNode line = line(output.getOut(), "another tracer's line");
            assertThat(line.path("traceId").asString()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(line.has("trace")).isFalse();
        }
    }

    private static void assertNoIds(JsonNode line) {
        assertThat(line.has("trace")).isFalse();
        assertThat(line.has("span")).isFalse();
        assertThat(line.has("traceId")).isFalse();
        assertThat(line.has("spanId")).isFalse();
        assertThat(line.has("_traceId")).isFalse();
        assertThat(line.has("_spanId")).isFalse();
    }

    private static Lines logInsideAndOutsideASpan(Supplier<String> output, String... properties) {
        try (ConfigurableApplicationContext context = start(properties)) {
            Tracer tracer = context.getBean(Tracer.class);
            Span span = tracer.nextSpan().name("work").start();
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                logger.info("inside the span");
            }
            finally {
                span.end();
            }
            logger.info("outside the span");
            return new Lines(output, span.context().traceId(), span.context().spanId());
        }
    }

    private static ConfigurableApplicationContext start(String... properties) {
        List<String> all = new ArrayList<>(List.of(properties));
        all.add("spring.main.banner-mode=off");
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
            .properties(all.toArray(new String[0]))
            .run();
    }

    /** The one JSON line whose text holds {@code message}. */
    private static JsonNode line(String output, String message) {
        List<String> lines = output.lines().filter((line) -> line.contains(message)).toList();
        assertThat(lines).as("lines holding '%s' in%n%s", message, output).hasSize(1);
        return json.readTree(lines.get(0));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private record Lines(Supplier<String> output, String traceId, String spanId) {

        JsonNode inside() {
            return line(output.get(), "inside the span");
        }

        JsonNode outside() {
            return line(output.get(), "outside the span");
        }

        Lines reread(Supplier<String> other) {
            return new Lines(other, traceId, spanId);
        }

    }

    static final class TeamCustomizer implements StructuredLoggingJsonMembersCustomizer<Object> {

        @Override
        public void customize(Members<Object> members) {
            members.add("team", "payments");
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(TraceAutoConfiguration.class)
    static class App {

    }

}
