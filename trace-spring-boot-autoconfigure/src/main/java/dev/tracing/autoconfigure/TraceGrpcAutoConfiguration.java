package dev.tracing.autoconfigure;

import dev.tracing.instrument.grpc.GrpcSpanPolicy;
import dev.tracing.instrument.grpc.TraceGrpcClientInterceptor;
import dev.tracing.instrument.grpc.TraceGrpcServerInterceptor;
import dev.tracing.instrument.grpc.TraceGrpcServerStreamTracerFactory;
import io.grpc.ServerBuilder;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.client.GlobalClientInterceptor;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * gRPC instrumentation for Spring Boot's gRPC support: a server interceptor on Boot's gRPC server,
 * and a client interceptor on every channel of Boot's channel factory. On the server it is the
 * server builder's own interceptor, outside every service's interceptors, Spring gRPC's exception
 * handler included: the SERVER span is current in all of them and in the service, and it ends with
 * the status the client receives, the one the exception handler chose for an exception (a
 * {@code GrpcExceptionHandler}'s {@code INVALID_ARGUMENT}, Spring Security's
 * {@code UNAUTHENTICATED}), not the {@code UNKNOWN} the exception would give.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnTracingEnabled
@ConditionalOnBean(TraceAutoConfiguration.class)
@ConditionalOnClass(name = "io.grpc.ServerInterceptor")
@ConditionalOnProperty(prefix = "trace.grpc", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(TraceGrpcProperties.class)
public final class TraceGrpcAutoConfiguration {

    /** Right after Spring gRPC's exception handler (HIGHEST_PRECEDENCE), before Boot's observation interceptors (0). */
    static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    @Bean
    @ConditionalOnMissingBean
    GrpcSpanPolicy traceGrpcSpanPolicy(Tracer tracer, Propagator propagator) {
        return new GrpcSpanPolicy(tracer, propagator);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.springframework.grpc.server.ServerBuilderCustomizer",
            "org.springframework.grpc.server.GlobalServerInterceptor" })
    @ConditionalOnProperty(prefix = "trace.grpc.server", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    static class Server {

        /**
         * Also a global interceptor, right after Spring gRPC's exception handler: a server factory of the
         * application's applies those but not Boot's builder customizers. On Boot's servers it is then
         * registered twice, and the inner registration passes each call on.
         */
        @Bean
        @ConditionalOnMissingBean
        @GlobalServerInterceptor
        @Order(ORDER)
        TraceGrpcServerInterceptor traceGrpcServerInterceptor(GrpcSpanPolicy policy) {
            return new TraceGrpcServerInterceptor(policy);
        }

        /**
         * The builder's interceptors wrap every service with its own (global) interceptors: the
         * exception handler's closing of the call passes through ours. The stream tracer tells the
         * interceptor how grpc-java closed a call it ended itself.
         */
        @Bean
        <T extends ServerBuilder<T>> ServerBuilderCustomizer<T> traceGrpcServerBuilderCustomizer(
                TraceGrpcServerInterceptor interceptor) {
            TraceGrpcServerStreamTracerFactory closedStatus = new TraceGrpcServerStreamTracerFactory();
            return builder -> builder.intercept(interceptor).addStreamTracerFactory(closedStatus);
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.grpc.client.GlobalClientInterceptor")
    @ConditionalOnProperty(prefix = "trace.grpc.client", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    static class Client {

        @Bean
        @ConditionalOnMissingBean
        @GlobalClientInterceptor
        @Order(ORDER)
        TraceGrpcClientInterceptor traceGrpcClientInterceptor(GrpcSpanPolicy policy) {
            return new TraceGrpcClientInterceptor(policy);
        }

    }

}
