package dev.tracing.test;

import dev.tracing.autoconfigure.TraceAutoConfiguration;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * What the test kit adds to an application under test: a {@link TestSpans} bean that the span
 * pipeline feeds on the thread that ends each span, after the application's span filters and
 * predicates, and, unless {@code trace.test.strict=false}, {@link StrictTracing}, which the
 * tracer and its current context report spans and scopes to. {@link TraceTestExecutionListener}
 * empties the one and checks the other around each test method.
 */
@AutoConfiguration(before = TraceAutoConfiguration.class)
@EnableConfigurationProperties(TraceTestProperties.class)
public final class TraceTestAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TestSpans traceTestSpans(TraceTestProperties properties) {
        return new TestSpans().timeout(properties.getTimeout());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "trace.test", name = "strict", havingValue = "true", matchIfMissing = true)
    StrictTracing traceStrictTracing() {
        return new StrictTracing();
    }

}
