package dev.tracing.test;

import dev.tracing.autoconfigure.TraceAutoConfiguration;
import dev.tracing.instrument.webflux.TraceWebHttpHandlerBuilderCustomizer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.web.reactive.server.MockServerConfigurer;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;

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

    /**
     * The mock server a {@code WebTestClient} builds over a reactive application context (a
     * {@code @WebFluxTest}'s, a {@code @SpringBootTest} without a server) gets the HTTP handler
     * decorator Spring Boot's server gets: the SERVER span then covers the exception handlers and ends
     * with the status they wrote, as in production, rather than with a status guessed from the
     * exception.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.springframework.test.web.reactive.server.MockServerConfigurer",
            "org.springframework.web.server.adapter.WebHttpHandlerBuilder",
            "org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer" })
    static class MockWebFluxServer {

        @Bean
        MockServerConfigurer traceMockServerConfigurer(
                ObjectProvider<TraceWebHttpHandlerBuilderCustomizer> customizer) {
            return new MockServerConfigurer() {

                @Override
                public void beforeServerCreated(WebHttpHandlerBuilder builder) {
                    customizer.ifAvailable(tracing -> tracing.customize(builder));
                }

            };
        }

    }

}
