package dev.tracing.autoconfigure;

import dev.tracing.instrument.http.HttpSpanPolicy;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** The one HTTP span policy, from {@code trace.web.*}, in every application (WebFlux, MVC or neither). */
class TraceWebFluxAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceWebFluxAutoConfiguration.class));

    @Test
    void theHttpSpanPolicyIsThereWithoutAWebServer() {
        runner.withPropertyValues("trace.web.server.response-header=traceresponse").run(context -> {
            assertThat(context).hasSingleBean(HttpSpanPolicy.class);
            assertThat(context.getBean(HttpSpanPolicy.class).responseHeader()).isEqualTo("traceresponse");
            assertThat(context.getBean(HttpSpanPolicy.class).skip("/actuator/health")).isTrue();
        });
    }

    @Test
    void invalidSkipPatternFailsStartupNamingTheProperty() {
        runner.withPropertyValues("trace.web.server.skip-pattern=/health(").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.web.server.skip-pattern");
        });
    }

    @Test
    void aResponseHeaderThatIsNoHeaderNameFailsStartupNamingTheProperty() {
        // on Reactor Netty such a name is refused when the response is written, which would leave every
        // request without its span
        runner.withPropertyValues("trace.web.server.response-header=X Trace Id").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.web.server.response-header")
                .contains("is not a valid HTTP header name");
        });
        runner.withPropertyValues("trace.web.server.response-header= X-Trace-Id ")
            .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void recordHeadersThatAreNoHeaderNamesFailStartupNamingTheProperty() {
        runner.withPropertyValues("trace.web.server.record-headers=x-tenant,user:agent").run(context -> {
            assertThat(context).hasFailed();
            assertThat(StartupFailures.text(context.getStartupFailure())).contains("trace.web.server.record-headers")
                .contains("must hold valid HTTP header names");
        });
        // an empty entry, from a trailing comma or an empty placeholder, records nothing and is fine
        runner.withPropertyValues("trace.web.server.record-headers=x-tenant,")
            .run(context -> assertThat(context).hasNotFailed());
    }

}
