package dev.tracing.autoconfigure;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

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
        assertThat(environment.getProperty("logging.expect-correlation-id", Boolean.class)).isFalse();
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(TraceAutoConfiguration.class)
    static class App {

    }

}
