package dev.tracing.autoconfigure;

import java.io.IOException;
import java.util.List;
import java.util.Properties;

import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.instrument.web.FailedRequestScopeValve;
import dev.tracing.instrument.web.TraceClientHttpRequestInterceptor;
import dev.tracing.instrument.web.TraceRestClientCustomizers;
import dev.tracing.instrument.web.TraceServletFilter;
import org.apache.catalina.core.StandardContext;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.support.PropertiesLoaderUtils;
import org.springframework.web.filter.CharacterEncodingFilter;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;

import static org.assertj.core.api.Assertions.assertThat;

class TraceWebMvcAutoConfigurationTests {

    private static final AutoConfigurations CONFIGURATIONS = AutoConfigurations.of(TraceAutoConfiguration.class,
            TraceWebFluxAutoConfiguration.class, TraceWebMvcAutoConfiguration.class,
            TraceRestClientAutoConfiguration.class, RestTemplateAutoConfiguration.class,
            RestClientAutoConfiguration.class);

    @Test
    void servletApplicationsGetTheFilterFirstInTheChainAfterTheForwardedHeaderFilter() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS).run(context -> {
            assertThat(context).hasSingleBean(TraceServletFilter.class);
            @SuppressWarnings("unchecked")
            FilterRegistrationBean<TraceServletFilter> registration = context.getBean(FilterRegistrationBean.class);
            // Boot's ForwardedHeaderFilter is at HIGHEST_PRECEDENCE, its observation filter one after it, as ours
            assertThat(registration.getOrder()).isEqualTo(Integer.MIN_VALUE + 1);
        });
    }

    @Test
    void aRegistrationOfTheFilterTheApplicationMadeReplacesOurs() {
        // the application's URL patterns and order, not ours beside them
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withUserConfiguration(OwnRegistrations.class)
            .run(context -> assertThat(context.getBeansOfType(FilterRegistrationBean.class))
                .containsOnlyKeys("ownTraceFilterRegistration", "encodingFilterRegistration"));
        // a registration of another filter changes nothing
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withUserConfiguration(OtherRegistration.class)
            .run(context -> assertThat(context.getBeansOfType(FilterRegistrationBean.class))
                .containsOnlyKeys("traceServletFilterRegistration", "encodingFilterRegistration"));
    }

    @Configuration(proxyBeanMethods = false)
    @Import(OtherRegistration.class)
    static class OwnRegistrations {

        @Bean
        FilterRegistrationBean<TraceServletFilter> ownTraceFilterRegistration(TraceServletFilter filter) {
            FilterRegistrationBean<TraceServletFilter> registration = new FilterRegistrationBean<>(filter);
            registration.setUrlPatterns(List.of("/api/*"));
            return registration;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class OtherRegistration {

        @Bean
        FilterRegistrationBean<CharacterEncodingFilter> encodingFilterRegistration() {
            return new FilterRegistrationBean<>(new CharacterEncodingFilter());
        }

    }

    @Test
    void theActuatorUnderTheDispatcherServletsPathIsSkipped() {
        // Kubernetes probes to /app/actuator/health must not become traces
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("spring.mvc.servlet.path=/app")
            .run(context -> {
                HttpSpanPolicy policy = context.getBean(HttpSpanPolicy.class);
                assertThat(policy.skip("/app/actuator/health")).isTrue();
                assertThat(policy.skip("/app/orders")).isFalse();
            });
        // on a management port of its own, the actuator is not under the application's servlet
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("spring.mvc.servlet.path=/app", "management.server.port=9001")
            .run(context -> assertThat(context.getBean(HttpSpanPolicy.class).skip("/actuator/health")).isTrue());
        // 0 is a random port of its own, even where the server's is random too, as Boot decides
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("spring.mvc.servlet.path=/app", "server.port=0", "management.server.port=0")
            .run(context -> assertThat(context.getBean(HttpSpanPolicy.class).skip("/actuator/health")).isTrue());
        // the server's own port (8080 when unset) is no port of its own, as Boot decides
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("spring.mvc.servlet.path=/app", "management.server.port=8080")
            .run(context -> assertThat(context.getBean(HttpSpanPolicy.class).skip("/app/actuator/health")).isTrue());
    }

    @Test
    void tomcatGetsTheValveThatKeepsAFailedRequestsTraceForItsErrorLine() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS).run(context -> {
            StandardContext tomcatContext = new StandardContext();
            context.getBean("traceFailedRequestScopeCustomizer", TomcatContextCustomizer.class).customize(tomcatContext);
            assertThat(tomcatContext.getPipeline().getValves()).hasAtLeastOneElementOfType(FailedRequestScopeValve.class);
        });
    }

    @Test
    void withoutTomcatThereIsNoValve() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withClassLoader(new FilteredClassLoader("org.apache.catalina"))
            .run(context -> {
                assertThat(context).hasSingleBean(TraceServletFilter.class);
                assertThat(context).doesNotHaveBean("traceFailedRequestScopeCustomizer");
            });
    }

    @Test
    void reactiveApplicationsDoNotGetTheServletFilter() {
        new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGURATIONS).run(context -> {
            assertThat(context).doesNotHaveBean(TraceServletFilter.class);
            assertThat(context).doesNotHaveBean(TraceWebMvcAutoConfiguration.class);
        });
    }

    /**
     * Conditions the auto-configuration metadata carries, so that Spring Boot drops both
     * auto-configurations without reading their classes in an application without Spring MVC or
     * without Boot's RestTemplate and RestClient support.
     */
    @Test
    void theirClassConditionsAreInTheAutoConfigurationMetadata() throws IOException {
        Properties metadata = PropertiesLoaderUtils
            .loadAllProperties("META-INF/spring-autoconfigure-metadata.properties");
        assertThat(metadata.getProperty(TraceWebMvcAutoConfiguration.class.getName() + ".ConditionalOnClass"))
            .contains("org.springframework.web.servlet.HandlerMapping");
        assertThat(metadata.getProperty(TraceWebMvcAutoConfiguration.class.getName() + ".ConditionalOnWebApplication"))
            .isEqualTo("SERVLET");
        assertThat(metadata.getProperty(TraceRestClientAutoConfiguration.class.getName() + ".ConditionalOnClass"))
            .contains("org.springframework.boot.restclient.RestTemplateCustomizer");
    }

    @Test
    void serverSpansCanBeTurnedOff() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("trace.web.server.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(TraceServletFilter.class));
    }

    @Test
    void restTemplatesAndRestClientsGetTheInterceptorOnce() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS).run(context -> {
            RestTemplateBuilder builder = context.getBean(RestTemplateBuilder.class);
            RestTemplate restTemplate = builder.build();
            assertThat(restTemplate.getInterceptors()).filteredOn(TraceClientHttpRequestInterceptor.class::isInstance)
                .hasSize(1);
            TraceRestClientCustomizers customizers = context.getBean(TraceRestClientCustomizers.class);
            customizers.customize(restTemplate);
            assertThat(restTemplate.getInterceptors()).filteredOn(TraceClientHttpRequestInterceptor.class::isInstance)
                .hasSize(1);
            RestClient.Builder restClient = context.getBean(RestClient.Builder.class);
            customizers.customize(restClient);
            restClient.requestInterceptors(interceptors -> assertThat(interceptors)
                .filteredOn(TraceClientHttpRequestInterceptor.class::isInstance)
                .hasSize(1));
        });
    }

    @Test
    void clientSpansOffTurnsOffRestTemplateAndRestClientAlike() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("trace.web.client.enabled=false")
            .run(context -> {
                assertThat(context).doesNotHaveBean(TraceClientHttpRequestInterceptor.class);
                assertThat(context.getBean(RestTemplateBuilder.class).build().getInterceptors()).isEmpty();
            });
    }

    @Test
    void tracingOffRegistersNoneOfIt() {
        new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .withPropertyValues("trace.enabled=false")
            .run(context -> {
                assertThat(context).doesNotHaveBean(TraceServletFilter.class);
                assertThat(context).doesNotHaveBean("traceFailedRequestScopeCustomizer");
                assertThat(context).doesNotHaveBean(TraceClientHttpRequestInterceptor.class);
            });
        new ApplicationContextRunner().withConfiguration(CONFIGURATIONS)
            .run(context -> assertThat(context).doesNotHaveBean(TraceServletFilter.class));
    }

}
