package dev.tracing.compatibility;

import io.micrometer.core.instrument.binder.grpc.ObservationGrpcClientInterceptor;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcServerInterceptor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** gRPC beside actuator: Boot's gRPC observation interceptors run, and add no span or header. */
class ActuatorGrpcTests extends GrpcExchangeSpansTests {

    @Test
    void bootsGrpcObservationInterceptorsAreThere() {
        assertThat(context.getBeansOfType(ObservationGrpcServerInterceptor.class)).hasSize(1);
        assertThat(context.getBeansOfType(ObservationGrpcClientInterceptor.class)).hasSize(1);
    }

}
