package dev.tracing.autoconfigure;

import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.instrument.webflux.ObservationEntryTrimmingConnector;
import dev.tracing.instrument.webflux.TraceWebClientConnectorCustomizer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

import static dev.tracing.testing.WebClientBuilders.connectorOf;
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
    void reactorNettysConnectorIsWrappedInEitherPropagationModeUnlessTurnedOff() {
        ApplicationContextRunner withConnector = runner.withBean(ClientHttpConnector.class,
                ReactorClientHttpConnector::new);
        withConnector.run(context -> assertThat(context).as("auto, the default")
            .hasSingleBean(TraceWebClientConnectorCustomizer.class));
        withConnector.withPropertyValues("trace.web.client.trim-connect-context=false")
            .run(context -> assertThat(context).doesNotHaveBean(TraceWebClientConnectorCustomizer.class));
        withConnector.withPropertyValues("trace.reactor.context-propagation=limited")
            .run(context -> assertThat(context).hasSingleBean(TraceWebClientConnectorCustomizer.class));
        withConnector.withPropertyValues("trace.web.client.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(TraceWebClientConnectorCustomizer.class));
        withConnector.withClassLoader(new FilteredClassLoader("reactor.netty.http.client"))
            .run(context -> assertThat(context).doesNotHaveBean(TraceWebClientConnectorCustomizer.class));
        runner.run(context -> assertThat(context).as("no connector bean, as for Boot's customizer")
            .doesNotHaveBean(TraceWebClientConnectorCustomizer.class));
    }

    @Test
    void theBuilderConnectsThroughBootsConnectorWrappedUnlessTheApplicationSetsItsOwn() {
        ApplicationContextRunner webClient = runner
            .withConfiguration(AutoConfigurations.of(ReactiveHttpClientAutoConfiguration.class,
                    WebClientAutoConfiguration.class));
        webClient.run(context -> assertThat(connectorOf(context.getBean(WebClient.Builder.class)))
            .isInstanceOfSatisfying(ObservationEntryTrimmingConnector.class,
                    wrapped -> assertThat(wrapped.delegate()).isSameAs(context.getBean(ClientHttpConnector.class))));
        JdkClientHttpConnector own = new JdkClientHttpConnector();
        webClient.withBean(WebClientCustomizer.class, () -> builder -> builder.clientConnector(own))
            .run(context -> assertThat(connectorOf(context.getBean(WebClient.Builder.class))).isSameAs(own));
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
