package dev.tracing.autoconfigure;

import dev.tracing.instrument.grpc.GrpcSpanPolicy;
import dev.tracing.instrument.grpc.TraceGrpcClientInterceptor;
import dev.tracing.instrument.grpc.TraceGrpcServerInterceptor;
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

/**
 * gRPC instrumentation for Spring Boot's gRPC support: a server interceptor on every service of
 * Boot's gRPC server, and a client interceptor on every channel of Boot's channel factory. On the
 * server it comes right after Spring gRPC's exception handler (which is first of all), so the
 * SERVER span is current in the interceptors after it and in the service.
 */
@AutoConfiguration(after = TraceAutoConfiguration.class)
@ConditionalOnBean(TraceAutoConfiguration.class)
@ConditionalOnClass(name = "io.grpc.ServerInterceptor")
@ConditionalOnProperty(prefix = "trace.grpc", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(TraceGrpcProperties.class)
public final class TraceGrpcAutoConfiguration {

    /** After Spring gRPC's exception handler (HIGHEST_PRECEDENCE), before Boot's observation interceptor (0). */
    static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    @Bean
    @ConditionalOnMissingBean
    GrpcSpanPolicy traceGrpcSpanPolicy(Tracer tracer, Propagator propagator) {
        return new GrpcSpanPolicy(tracer, propagator);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.grpc.server.GlobalServerInterceptor")
    @ConditionalOnProperty(prefix = "trace.grpc.server", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    static class Server {

        @Bean
        @ConditionalOnMissingBean
        @GlobalServerInterceptor
        @Order(ORDER)
        TraceGrpcServerInterceptor traceGrpcServerInterceptor(GrpcSpanPolicy policy) {
            return new TraceGrpcServerInterceptor(policy);
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
