package dev.tracing.autoconfigure;

import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.instrument.web.FailedRequestScopeValve;
import dev.tracing.instrument.web.HandledExceptionRecorder;
import dev.tracing.instrument.web.TraceCallableProcessingInterceptor;
import dev.tracing.instrument.web.TraceServletFilter;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import jakarta.servlet.DispatcherType;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The servlet filter in Spring MVC applications, through the one {@link HttpSpanPolicy}. Its
 * conditions are the class's own, so that an application without Spring MVC filters it out from
 * the auto-configuration metadata, without reading the class.
 */
// before Boot's observation filter, whose order is ours: of two registrations of one order the one defined first
// runs first, and its Observation must find our span
@AutoConfiguration(after = TraceWebFluxAutoConfiguration.class,
        beforeName = "org.springframework.boot.webmvc.autoconfigure.WebMvcObservationAutoConfiguration")
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = { "jakarta.servlet.Filter", "org.springframework.web.servlet.HandlerMapping" })
@ConditionalOnProperty(prefix = "trace.web.server", name = "enabled", havingValue = "true", matchIfMissing = true)
public final class TraceWebMvcAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TraceServletFilter traceServletFilter(Tracer tracer, Propagator propagator, HttpSpanPolicy policy) {
        return new TraceServletFilter(tracer, propagator, policy);
    }

    /** Lets the filter record an exception an exception handler answered with a view (an error page). */
    @Bean
    @ConditionalOnMissingBean
    HandledExceptionRecorder traceHandledExceptionRecorder() {
        return new HandledExceptionRecorder();
    }

    /** A handler's {@code Callable} runs in the span it was returned in, on whichever executor Spring MVC uses. */
    @Bean
    WebMvcConfigurer traceAsyncSupportConfigurer(Tracer tracer) {
        TraceCallableProcessingInterceptor interceptor = new TraceCallableProcessingInterceptor(tracer);
        return new WebMvcConfigurer() {
            @Override
            public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
                configurer.registerCallableInterceptors(interceptor);
            }
        };
    }

    /** Backs off for a registration of the filter the application made (its URL patterns, its order). */
    @Bean
    @ConditionalOnMissingBean
    FilterRegistrationBean<TraceServletFilter> traceServletFilterRegistration(TraceServletFilter filter) {
        FilterRegistrationBean<TraceServletFilter> registration = new FilterRegistrationBean<>(filter);
        // just after Boot's ForwardedHeaderFilter (server.forward-headers-strategy=framework): the span records the
        // request as the proxy's client made it; Boot's own observation filter has this order too, and comes after
        // ours (this configuration is defined before its)
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
        return registration;
    }

    /** On embedded Tomcat, the line Tomcat logs for a request that threw carries the request's trace. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.apache.catalina.valves.ValveBase",
            "org.springframework.boot.tomcat.TomcatContextCustomizer" })
    static class TomcatErrorLog {

        @Bean
        @ConditionalOnMissingBean(name = "traceFailedRequestScopeCustomizer")
        TomcatContextCustomizer traceFailedRequestScopeCustomizer() {
            // a valve per context: a valve links to the next one, so it can be in one pipeline only
            return context -> context.getPipeline().addValve(new FailedRequestScopeValve());
        }

    }

}
