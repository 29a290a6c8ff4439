package dev.tracing.autoconfigure;

import dev.tracing.instrument.grpc.GrpcSpanPolicy;
import dev.tracing.instrument.grpc.TraceGrpcClientInterceptor;
import dev.tracing.instrument.grpc.TraceGrpcServerInterceptor;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** Which gRPC interceptors are registered, by property and by classpath. */
class TraceGrpcAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceGrpcAutoConfiguration.class));

    @Test
    void bothSidesAreTracedByDefault() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(GrpcSpanPolicy.class);
            assertThat(context).hasSingleBean(TraceGrpcServerInterceptor.class);
            assertThat(context).hasSingleBean(TraceGrpcClientInterceptor.class);
        });
    }

    @Test
    void eachSideAndTheWholeCanBeTurnedOff() {
        runner.withPropertyValues("trace.grpc.server.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(TraceGrpcServerInterceptor.class);
            assertThat(context).hasSingleBean(TraceGrpcClientInterceptor.class);
        });
        runner.withPropertyValues("trace.grpc.client.enabled=false").run(context -> {
            assertThat(context).hasSingleBean(TraceGrpcServerInterceptor.class);
            assertThat(context).doesNotHaveBean(TraceGrpcClientInterceptor.class);
        });
        runner.withPropertyValues("trace.grpc.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(GrpcSpanPolicy.class);
            assertThat(context).doesNotHaveBean(TraceGrpcServerInterceptor.class);
            assertThat(context).doesNotHaveBean(TraceGrpcClientInterceptor.class);
        });
    }

    @Test
    void anApplicationWithoutGrpcIsUnaffected() {
        runner.withClassLoader(new FilteredClassLoader("io.grpc.", "org.springframework.grpc.")).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(GrpcSpanPolicy.class);
        });
    }

}
