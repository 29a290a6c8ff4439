package dev.tracing.compatibility;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import dev.tracing.export.InMemorySpanStore;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import static dev.tracing.compatibility.SecurityRequests.named;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Security on Tomcat with actuator: the README's example that puts the {@code traces}
 * endpoint behind authentication does what it says, and Spring Security's observations of a
 * secured request are spans of that request's trace, under its SERVER span.
 */
@SpringBootTest(classes = SecuredEndpointTests.SecuredApp.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.application.name=compat-secured",
                "management.endpoints.web.exposure.include=health,traces,traceview", "trace.sampling.rate-limit=0",
                "trace.export.memory.max-traces-per-second=0" })
class SecuredEndpointTests {

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @LocalServerPort
    int port;

    @Autowired
    InMemorySpanStore store;

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
        assertThat(spans).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(TRACE_ID));
        // the filter chain's sections and the secured request are the SERVER span's children; the
        // authentication and the authorization decision happen inside the chain's first section
        FinishedSpan before = named(spans, "security filterchain before");
        for (String name : List.of("security filterchain before", "secured request", "security filterchain after")) {
            assertThat(named(spans, name).getParentId()).as(name).isEqualTo(server.getSpanId());
        }
        for (String name : List.of("authenticate usernamepassword", "authorize request")) {
            assertThat(named(spans, name).getParentId()).as(name).isEqualTo(before.getSpanId());
        }
        assertThat(named(spans, "authorize request").getTags())
            .containsEntry("spring.security.authorization.decision", "true");
    }

    @Test
    void aRefusedRequestsErrorPageRunsInItsTraceAndStartsNoTraceOfItsOwn() throws Exception {
        String traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
        int traces = store.traceCount();
        HttpResponse<String> refused = SecurityRequests.get(port, "/secured", null,
                "00-" + traceId + "-00f067aa0ba902b7-01");
        assertThat(refused.statusCode()).isEqualTo(401);
        // Tomcat answers the 401 through the error page, where the chain for /error runs its Observations
        Waits.await().during(Duration.ofMillis(500)).until(() -> store.traceCount() == traces + 1);
        List<FinishedSpan> spans = store.trace(traceId);
        FinishedSpan server = spans.stream().filter(span -> span.getKind() == Span.Kind.SERVER).findFirst().orElseThrow();
        // only the error page's chain lets the request through: its section is the SERVER span's child
        assertThat(named(spans, "secured request").getParentId()).isEqualTo(server.getSpanId());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
    @Import(SecuredApp.Endpoints.class)
    static class SecuredApp {

        /** The README's example, as written there. */
        @Bean
        SecurityFilterChain actuatorSecurity(HttpSecurity http) throws Exception {
            http.securityMatcher(EndpointRequest.toAnyEndpoint())
                .authorizeHttpRequests(requests -> requests
                    .requestMatchers(EndpointRequest.to("health")).permitAll()
                    .anyRequest().hasRole("OPS"))
                .httpBasic(Customizer.withDefaults());
            return http.build();
        }

        @Bean
        SecurityFilterChain applicationSecurity(HttpSecurity http) throws Exception {
            http.securityMatcher("/secured")
                .authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
                .httpBasic(Customizer.withDefaults());
            return http.build();
        }

        /** The error page open to all, as Spring Boot's default chain leaves it. */
        @Bean
        SecurityFilterChain errorPageSecurity(HttpSecurity http) throws Exception {
            http.securityMatcher("/error").authorizeHttpRequests(requests -> requests.anyRequest().permitAll());
            return http.build();
        }

        @Bean
        InMemoryUserDetailsManager users() {
            return new InMemoryUserDetailsManager(SecurityRequests.users());
        }

        @RestController
        static class Endpoints {

            @GetMapping("/open")
            String open() {
                return "open";
            }

            @GetMapping("/secured")
            String secured() {
                return "secured";
            }

        }

    }

}
