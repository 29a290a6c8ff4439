package dev.tracing.propagation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PropagationTypeTests {

    @Test
    void fromNameAcceptsConfiguredNamesInAnyCase() {
        assertThat(PropagationType.fromName("w3c")).isEqualTo(PropagationType.W3C);
        assertThat(PropagationType.fromName("W3C")).isEqualTo(PropagationType.W3C);
        assertThat(PropagationType.fromName("b3")).isEqualTo(PropagationType.B3);
        assertThat(PropagationType.fromName("B3")).isEqualTo(PropagationType.B3);
        assertThat(PropagationType.fromName("b3-multi")).isEqualTo(PropagationType.B3_MULTI);
        assertThat(PropagationType.fromName("B3_MULTI")).isEqualTo(PropagationType.B3_MULTI);
        assertThat(PropagationType.fromName("b3_multi")).isEqualTo(PropagationType.B3_MULTI);
        assertThat(PropagationType.fromName(" b3 ")).isEqualTo(PropagationType.B3);
        assertThat(PropagationType.fromName("jaeger")).isEqualTo(PropagationType.JAEGER);
        assertThat(PropagationType.fromName("Jaeger")).isEqualTo(PropagationType.JAEGER);
    }

    @Test
    void fromNameReturnsNullForUnknown() {
        assertThat(PropagationType.fromName(null)).isNull();
        assertThat(PropagationType.fromName("")).isNull();
        assertThat(PropagationType.fromName("uber-trace-id")).isNull();
        assertThat(PropagationType.fromName("xray")).isNull();
        assertThat(PropagationType.fromName("b3multi")).isNull();
        assertThat(PropagationType.fromName("w3c-baggage")).isNull();
    }

    @Test
    void configNames() {
        assertThat(PropagationType.W3C.configName()).isEqualTo("w3c");
        assertThat(PropagationType.B3.configName()).isEqualTo("b3");
        assertThat(PropagationType.B3_MULTI.configName()).isEqualTo("b3-multi");
        assertThat(PropagationType.JAEGER.configName()).isEqualTo("jaeger");
    }

    @Test
    void formatsAreSharedInstances() {
        assertThat(PropagationType.W3C.format()).isSameAs(W3cTraceContextFormat.INSTANCE);
        assertThat(PropagationType.B3.format()).isSameAs(B3SingleFormat.INSTANCE);
        assertThat(PropagationType.B3_MULTI.format()).isSameAs(B3MultiFormat.INSTANCE);
        assertThat(PropagationType.JAEGER.format()).isSameAs(JaegerFormat.INSTANCE);
        assertThat(PropagationType.B3.format().fields()).containsExactly("b3");
        assertThat(PropagationType.JAEGER.format().fields()).containsExactly("uber-trace-id");
    }
}
