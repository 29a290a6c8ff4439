package dev.tracing.autoconfigure;

import dev.tracing.core.SpanContext;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.instrument.sampling.SamplingRules;
import dev.tracing.instrument.webflux.TraceExchangeFilterFunction;
import dev.tracing.instrument.webflux.TraceWebClientConnectorCustomizer;
import dev.tracing.instrument.webflux.TraceWebClientCustomizer;
import dev.tracing.instrument.webflux.TraceWebFilter;
import dev.tracing.instrument.webflux.TraceWebHttpHandlerBuilderCustomizer;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.client.reactive.ClientHttpConnector;

/**
 * WebFlux instrumentation: the server {@link TraceWebFilter} in reactive web applications and
 * the WebClient filter on every {@code WebClient.Builder} Spring Boot hands out, both through
 * the one {@link HttpSpanPolicy}.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class,
        afterName = "org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration")
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@EnableConfigurationProperties(TraceWebProperties.class)
public final class TraceWebFluxAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    HttpSpanPolicy traceHttpSpanPolicy(TraceWebProperties web, Environment environment,
            SamplingRules samplingRules) {
        TraceWebProperties.Server server = web.getServer();
        String skipPattern = server.getSkipPattern() != null ? server.getSkipPattern()
                : HttpSpanPolicy.defaultSkipPattern(actuatorPath(environment));
        HttpSpanPolicy.Builder builder = HttpSpanPolicy.builder()
            .recordQuery(web.isRecordQuery())
            .samplingRules(samplingRules)
            .untracedContexts(SpanContext::notSampled);
        PropertyMapping.map("trace.web.server.skip-pattern", skipPattern, builder::skipPattern);
        PropertyMapping.map("trace.web.server.response-header", server.getResponseHeader(), builder::responseHeader);
        PropertyMapping.map("trace.web.server.record-headers", server.getRecordHeaders(), builder::recordHeaders);
        return builder.build();
    }

    /**
     * Where the application's server serves the actuator: its base path, below the dispatcher
     * servlet's path ({@code spring.mvc.servlet.path}) unless the actuator has a port of its own.
     */
    static String actuatorPath(Environment environment) {
        String basePath = environment.getProperty("management.endpoints.web.base-path", "/actuator");
        String servletPath = environment.getProperty("spring.mvc.servlet.path", "");
        if (actuatorHasItsOwnPort(environment) || servletPath.isEmpty() || servletPath.equals("/")
                || basePath.isEmpty() || basePath.equals("/")) {
            return basePath;
        }
        String prefix = servletPath.endsWith("/") ? servletPath.substring(0, servletPath.length() - 1) : servletPath;
        return (prefix.startsWith("/") ? prefix : "/" + prefix)
                + (basePath.startsWith("/") ? basePath : "/" + basePath);
    }

    /**
     * Whether actuator is served on a port of its own, by Boot's rule: a management port other
     * than the server's (8080 when the server's is unset), or 0 (a random one of its own).
     */
    static boolean actuatorHasItsOwnPort(Environment environment) {
        Integer management = environment.getProperty("management.server.port", Integer.class);
        if (management == null) {
            return false;
        }
        Integer server = environment.getProperty("server.port", Integer.class);
        return server == null ? !management.equals(8080) : management == 0 || !management.equals(server);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnClass(name = "org.springframework.web.server.WebFilter")
    @ConditionalOnProperty(prefix = "trace.web.server", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class Server {

        @Bean
        @ConditionalOnMissingBean
        TraceWebFilter traceWebFilter(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
            return new TraceWebFilter(tracer, propagator, policy);
        }

        @Bean
        @ConditionalOnClass(name = "org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer")
        TraceWebHttpHandlerBuilderCustomizer traceWebHttpHandlerBuilderCustomizer(TraceWebFilter filter) {
            return new TraceWebHttpHandlerBuilderCustomizer(filter);
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.springframework.web.reactive.function.client.WebClient",
            "org.springframework.boot.webclient.WebClientCustomizer" })
    @ConditionalOnProperty(prefix = "trace.web.client", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class Client {

        @Bean
        @ConditionalOnMissingBean
        TraceExchangeFilterFunction traceExchangeFilterFunction(Tracer tracer, Propagator propagator,
                HttpSpanPolicy policy) {
            return new TraceExchangeFilterFunction(tracer, propagator, policy);
        }

        @Bean
        @ConditionalOnMissingBean
        TraceWebClientCustomizer traceWebClientCustomizer(TraceExchangeFilterFunction filter) {
            return new TraceWebClientCustomizer(filter);
        }

        /**
         * Boot's Reactor Netty connector connects without Spring's Observation entry in its Reactor
         * Context, in either propagation mode. Under the same condition as Boot's customizer that sets the
         * connector, and after it.
         */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = { "reactor.netty.http.client.HttpClient",
                "org.springframework.http.client.reactive.ReactorClientHttpConnector" })
        @ConditionalOnProperty(prefix = "trace.web.client", name = "trim-connect-context", havingValue = "true",
                matchIfMissing = true)
        static class ReactorNetty {

            @Bean
            @ConditionalOnMissingBean
            @ConditionalOnBean(ClientHttpConnector.class)
            TraceWebClientConnectorCustomizer traceWebClientConnectorCustomizer(
                    ObjectProvider<ClientHttpConnector> connector) {
                return new TraceWebClientConnectorCustomizer(connector::getIfUnique);
            }

        }

    }

}
