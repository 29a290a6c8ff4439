package dev.tracing.autoconfigure;

import dev.tracing.context.ChangeOnlyThreadLocalAccessor;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code auto} propagation does to Micrometer's observation accessor, on a registry of its own. */
class TraceReactorAutoConfigurationTests {

    @Test
    void theObservationAccessorIsWrappedOnceAndStillMovesObservations() {
        ContextRegistry registry = new ContextRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        registry.registerThreadLocalAccessor(new ObservationThreadLocalAccessor(observations));

        TraceReactorAutoConfiguration.skipUnchangedObservations(registry);
        TraceReactorAutoConfiguration.skipUnchangedObservations(registry);

        assertThat(registry.getThreadLocalAccessors()).singleElement()
            .isInstanceOf(ChangeOnlyThreadLocalAccessor.class)
            .satisfies(accessor -> assertThat(accessor.key()).isEqualTo(ObservationThreadLocalAccessor.KEY));
        @SuppressWarnings("unchecked")
        ThreadLocalAccessor<Observation> accessor = (ThreadLocalAccessor<Observation>) registry
            .getThreadLocalAccessors()
            .get(0);
        Observation observation = Observation.start("work", observations);
        accessor.setValue(observation);
        assertThat(observations.getCurrentObservation()).isSameAs(observation);
        accessor.setValue(observation);
        accessor.restore(observation);
        assertThat(observations.getCurrentObservation()).as("the repeat's restore keeps the first scope")
            .isSameAs(observation);
        accessor.restore();
        assertThat(observations.getCurrentObservation()).isNull();
        observation.stop();
    }

}
