package dev.tracing.compatibility;

import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import reactor.core.publisher.Hooks;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.security.autoconfigure.actuate.web.reactive.EndpointRequest;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

import static dev.tracing.compatibility.SecurityRequests.named;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Security on WebFlux (Reactor Netty) with actuator: the {@code traces} endpoint behind
 * authentication with Boot's reactive {@code EndpointRequest}, and Spring Security's reactive
 * observations of a secured request as spans of that request's trace, under its SERVER span, with
 * either way of restoring the trace in Reactor operators.
 */
// automatic first: the limited context must also work after an automatic one turned Reactor's global hook on
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
class SecuredReactiveEndpointTests {

    static final String TRACE_ID = "5bf92f3577b34da6a3ce929d0e0e4736";

    abstract static class Checks {

        @LocalServerPort
        int port;

        @Autowired
        InMemorySpanStore store;

        /** Whether this context runs with automatic propagation (Reactor restores around every operator). */
        abstract boolean automatic();

        @Test
        void reactorRestoresTheTraceAsConfigured() {
            assertThat(Hooks.isAutomaticContextPropagationEnabled()).isEqualTo(automatic());
        }

        @Test
        void theTracesEndpointAsksForCredentialsAndTheRoleReadsIt() throws Exception {
            SecurityRequests.assertTracesNeedTheOpsRoleAndHealthIsOpen(port);
        }

        @Test
        void aHealthProbeTheSkipPatternLeavesOutRecordsNothingNotEvenSpringSecuritysSpans() throws Exception {
            SecurityRequests.assertHealthProbesRecordNothing(port, store);
        }

        @Test
        void springSecuritysObservationsAreSpansUnderTheRequestsServerSpan() throws Exception {
            SecurityRequests.SecuredTrace trace = SecurityRequests.securedRequestTrace(port, store, TRACE_ID, 6);
            List<FinishedSpan> spans = trace.spans();
            FinishedSpan server = trace.server();
            // the chain's two sections are the request span's children, and the authentication and the
            // authorization decision, made inside the first section, are that section's children. With automatic
            // propagation Reactor restores the request's span over the section; our Observation handler still
            // nests them under the open section
            FinishedSpan before = named(spans, "security filterchain before");
            for (String name : List.of("security filterchain before", "security filterchain after")) {
                assertThat(named(spans, name).getParentId()).as(name + " in " + tree(spans))
                    .isEqualTo(server.getSpanId());
            }
            for (String name : List.of("authenticate usernamepassword", "authorize exchange")) {
                assertThat(named(spans, name).getParentId()).as(name + " in " + tree(spans))
                    .isEqualTo(before.getSpanId());
            }
            // the secured request starts after the first section has stopped, which Spring Security names as its
            // parent Observation: a stopped section encloses nothing, so it is the request's child, as on a servlet
            // server, with either way of restoring
            assertThat(named(spans, "secured request").getParentId()).as("secured request in " + tree(spans))
                .isEqualTo(server.getSpanId());
            assertThat(named(spans, "authorize exchange").getTags())
                .containsEntry("spring.security.authorization.decision", "true");
        }

    }

    private static String tree(List<FinishedSpan> spans) {
        StringBuilder out = new StringBuilder();
        for (FinishedSpan span : spans) {
            out.append("\n  ").append(span.getName()).append(" id=").append(span.getSpanId()).append(" parent=")
                .append(span.getParentId()).append(" tags=").append(span.getTags());
        }
        return out.toString();
    }

    @Nested
    @SpringBootTest(classes = SecuredReactiveApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = { "spring.main.web-application-type=reactive", "spring.application.name=compat-secured-reactive",
                    "management.endpoints.web.exposure.include=health,traces,traceview", "trace.sampling.rate-limit=0",
                    "trace.export.memory.max-traces-per-second=0" })
    @org.junit.jupiter.api.Order(1)
    class Automatic extends Checks {

        @Override
        boolean automatic() {
            return true;
        }

    }

    /**
     * Without metrics nothing but our handlers would take Spring's server Observation, so it is left
     * out (a no-op above Spring Security's sections): the spans keep the same parents.
     */
    @Nested
    @SpringBootTest(classes = SecuredReactiveApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = { "spring.main.web-application-type=reactive", "spring.application.name=compat-secured-reactive",
                    "management.endpoints.web.exposure.include=health,traces,traceview", "trace.sampling.rate-limit=0",
                    "trace.export.memory.max-traces-per-second=0",
                    "spring.autoconfigure.exclude="
                            + "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration,"
                            + "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration,"
                            + "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
    @org.junit.jupiter.api.Order(2)
    class AutomaticWithoutMetrics extends Checks {

        @Autowired
        ObjectProvider<MeterRegistry> meters;

        @Override
        boolean automatic() {
            return true;
        }

        @Test
        void noMetricsSoSpringsServerObservationIsLeftOut() {
            assertThat(meters.getIfAvailable()).isNull();
        }

    }

    @Nested
    @SpringBootTest(classes = SecuredReactiveApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = { "spring.main.web-application-type=reactive", "spring.application.name=compat-secured-reactive",
                    "management.endpoints.web.exposure.include=health,traces,traceview", "trace.sampling.rate-limit=0",
                    "trace.export.memory.max-traces-per-second=0", "trace.reactor.context-propagation=limited" })
    @org.junit.jupiter.api.Order(3)
    class Limited extends Checks {

        /** Reactor's hook is global: an automatic context that ran earlier in this JVM left it on. */
        @BeforeAll
        static void automaticPropagationOff() {
            Hooks.disableAutomaticContextPropagation();
        }

        @Override
        boolean automatic() {
            return false;
        }

    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
    // the same controller as the servlet test's: WebFlux serves plain return values too
    @Import(SecuredEndpointTests.SecuredApp.Endpoints.class)
    static class SecuredReactiveApp {

        /** The README's servlet example, in its reactive form. */
        @Bean
        @Order(1)
        SecurityWebFilterChain actuatorSecurity(ServerHttpSecurity http) {
            return http.securityMatcher(EndpointRequest.toAnyEndpoint())
                .authorizeExchange(exchanges -> exchanges.matchers(EndpointRequest.to("health"))
                    .permitAll()
                    .anyExchange()
                    .hasRole("OPS"))
                .httpBasic(Customizer.withDefaults())
                .build();
        }

        @Bean
        @Order(2)
        SecurityWebFilterChain applicationSecurity(ServerHttpSecurity http) {
            return http.securityMatcher(ServerWebExchangeMatchers.pathMatchers("/secured"))
                .authorizeExchange(exchanges -> exchanges.anyExchange().authenticated())
                .httpBasic(Customizer.withDefaults())
                .build();
        }

        @Bean
        @Order(3)
        SecurityWebFilterChain openSecurity(ServerHttpSecurity http) {
            return http.authorizeExchange(exchanges -> exchanges.anyExchange().permitAll()).build();
        }

        @Bean
        MapReactiveUserDetailsService users() {
            return new MapReactiveUserDetailsService(SecurityRequests.users());
        }

    }

}
