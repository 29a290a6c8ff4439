package dev.tracing.autoconfigure;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class LogCorrelationTests {

    private static final Logger logger = LoggerFactory.getLogger(LogCorrelationTests.class);

    @Test
    void defaultLogPatternShowsTraceAndSpanIds(CapturedOutput output) {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
            .web(WebApplicationType.NONE)
            .properties("spring.main.banner-mode=off")
            .run()) {
            Tracer tracer = context.getBean(Tracer.class);
            Span span = tracer.nextSpan().name("work").start();
            try (Tracer.SpanInScope ws = tracer.withSpan(span)) {
                logger.info("inside the span");
            }
            finally {
                span.end();
            }
            logger.info("outside the span");
            String inside = output.getOut()
                .lines()
                .filter(line -> line.contains("inside the span"))
                .findFirst()
                .orElseThrow();
            assertThat(inside).contains(span.context().traceId()).contains(span.context().spanId());
            String outside = output.getOut()
                .lines()
                .filter(line -> line.contains("outside the span"))
                .findFirst()
                .orElseThrow();
            assertThat(outside).doesNotContain(span.context().traceId());
        }
    }

    @Test
    void userSettingWins() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources()
            .addFirst(new MapPropertySource("user", Map.of("logging.expect-correlation-id", "false")));
        new TraceLogCorrelationEnvironmentPostProcessor().postProcessEnvironment(environment, null);
        assertThat(environment.getProperty("logging.expect-correlation-id")).isEqualTo("false");
    }

    @Test
    void followsTraceEnabled() {
        StandardEnvironment environment = new StandardEnvironment();
        new TraceLogCorrelationEnvironmentPostProcessor().postProcessEnvironment(environment, null);
        assertThat(environment.getProperty("logging.expect-correlation-id", Boolean.class)).isTrue();
        environment.getPropertySources().addFirst(new MapPropertySource("user", Map.of("trace.enabled", "false")));
        // nothing answers: Boot's default (no ids in the pattern)
        assertThat(environment.getProperty("logging.expect-correlation-id")).isNull();
    }

    @Test
    void besideBootsTracingModuleOursAnswersWhileOnAndBootsWhenOff() throws Exception {
        // Boot's tracing module adds its own source for the property, following management.tracing.export.enabled
        Constructor<?> bootsConstructor = Class
            .forName("org.springframework.boot.micrometer.tracing.autoconfigure.LogCorrelationEnvironmentPostProcessor")
            .getDeclaredConstructor();
        bootsConstructor.setAccessible(true);
        EnvironmentPostProcessor boots = (EnvironmentPostProcessor) bootsConstructor.newInstance();
        for (List<EnvironmentPostProcessor> found : List.of(List.of(boots, new TraceLogCorrelationEnvironmentPostProcessor()),
                List.of(new TraceLogCorrelationEnvironmentPostProcessor(), boots))) {
            // in Spring Boot's order, whichever order the jars list them in
            List<EnvironmentPostProcessor> processors = new ArrayList<>(found);
            SpringApplication application = new SpringApplication();
            AnnotationAwareOrderComparator.sort(processors);
            // Boot's tracer in use, ours off: Boot's answer (its export on by default), ids in the pattern
            StandardEnvironment oursOff = new StandardEnvironment();
            oursOff.getPropertySources().addFirst(new MapPropertySource("user", Map.of("trace.enabled", "false")));
            processors.forEach(processor -> processor.postProcessEnvironment(oursOff, application));
            assertThat(oursOff.getProperty("logging.expect-correlation-id", Boolean.class)).isTrue();
            // ours on, with Boot's export switched off by a leftover setting: ours puts the ids in the MDC
            StandardEnvironment oursOn = new StandardEnvironment();
            oursOn.getPropertySources()
                .addFirst(new MapPropertySource("user", Map.of("management.tracing.export.enabled", "false")));
            processors.forEach(processor -> processor.postProcessEnvironment(oursOn, application));
            assertThat(oursOn.getProperty("logging.expect-correlation-id", Boolean.class)).isTrue();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(TraceAutoConfiguration.class)
    static class App {

    }

}
