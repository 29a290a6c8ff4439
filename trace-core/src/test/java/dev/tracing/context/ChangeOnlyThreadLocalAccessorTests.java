package dev.tracing.context;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.SpanContext;
import dev.tracing.core.ThreadLocalCurrentTraceContext;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.NullObservation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Setting what the thread already has costs nothing, in the wrapper and in our own accessor. */
class ChangeOnlyThreadLocalAccessorTests {

    private final ThreadLocal<String> local = new ThreadLocal<>();

    private final List<String> calls = new ArrayList<>();

    private final ThreadLocalAccessor<String> recording = new ThreadLocalAccessor<>() {

        @Override
        public Object key() {
            return "recording";
        }

        @Override
        public String getValue() {
            return local.get();
        }

        @Override
        public void setValue(String value) {
            calls.add("set " + value);
            local.set(value);
        }

        @Override
        public void setValue() {
            calls.add("clear");
            local.remove();
        }

        @Override
        public void restore(String previousValue) {
            calls.add("restore " + previousValue);
            local.set(previousValue);
        }

        @Override
        public void restore() {
            calls.add("restore nothing");
            local.remove();
        }
    };

    @Test
    void onlyChangesReachTheDelegateAndEachRestoreMatchesItsSet() {
        ChangeOnlyThreadLocalAccessor<String> accessor = new ChangeOnlyThreadLocalAccessor<>(recording);
        accessor.setValue("a");
        accessor.setValue("a");
        accessor.setValue("b");
        accessor.setValue("b");
        accessor.restore("b");
        assertThat(local.get()).isEqualTo("b");
        accessor.restore("a");
        assertThat(local.get()).isEqualTo("a");
        accessor.restore("a");
        accessor.restore();
        accessor.setValue();
        accessor.restore();
        assertThat(calls).containsExactly("set a", "set b", "restore a", "restore nothing");
        assertThat(accessor.key()).isEqualTo("recording");
    }

    @Test
    void ourAccessorOpensNoScopeForTheContextTheThreadHas() {
        List<TraceContext> decorated = new ArrayList<>();
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(context -> {
            decorated.add(context);
            return null;
        }));
        TraceContextThreadLocalAccessor accessor = new TraceContextThreadLocalAccessor(current);
        SpanContext a = SpanContext.create(1L, 1L, 0L, 10L, true, false);
        SpanContext b = SpanContext.create(2L, 2L, 0L, 20L, true, false);

        accessor.setValue(a);
        accessor.setValue(a);
        accessor.setValue(b);
        accessor.restore(a);
        assertThat(current.context()).isSameAs(a);
        accessor.restore(a);
        assertThat(current.context()).as("the repeat's restore leaves the outer scope open").isSameAs(a);
        accessor.restore();
        assertThat(current.context()).isNull();
        accessor.setValue();
        accessor.restore();
        assertThat(decorated).containsExactly(a, b);
    }

    /** An observation handler that records the scopes it sees opened and closed. */
    static final class ScopeRecordingHandler implements ObservationHandler<Observation.Context> {

        final List<String> scopes = new ArrayList<>();

        @Override
        public void onScopeOpened(Observation.Context context) {
            scopes.add("open " + describe(context));
        }

        @Override
        public void onScopeClosed(Observation.Context context) {
            scopes.add("close " + describe(context));
        }

        private static String describe(Observation.Context context) {
            return context instanceof NullObservation.NullContext ? "nothing" : context.getName();
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return true;
        }

    }

    @Test
    void clearingAnObservationOpensOneClearingScopeHoweverDeepTheClearsNest() {
        ScopeRecordingHandler handler = new ScopeRecordingHandler();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(handler);
        ChangeOnlyThreadLocalAccessor<Observation> accessor = ChangeOnlyThreadLocalAccessor
            .ofObservations(new ObservationThreadLocalAccessor(observations));
        Observation work = Observation.start("work", observations);

        accessor.setValue(work);
        accessor.setValue();
        assertThat(observations.getCurrentObservation()).isInstanceOf(NullObservation.class);
        assertThat(accessor.isEmpty(accessor.getValue())).isTrue();
        accessor.setValue();
        accessor.setValue();
        accessor.restore();
        accessor.restore();
        assertThat(observations.getCurrentObservation()).isInstanceOf(NullObservation.class);
        accessor.restore(work);
        assertThat(observations.getCurrentObservation()).isSameAs(work);
        accessor.restore();
        assertThat(observations.getCurrentObservation()).isNull();
        accessor.setValue();
        accessor.restore();
        work.stop();

        assertThat(handler.scopes).containsExactly("open work", "open nothing", "close nothing", "close work");
        assertThat(observations.getCurrentObservation()).isNull();
    }

    @Test
    void aNoopObservationNeedsNoClearing() {
        ChangeOnlyThreadLocalAccessor<Observation> accessor = ChangeOnlyThreadLocalAccessor
            .ofObservations(new ObservationThreadLocalAccessor(ObservationRegistry.create()));
        // what Spring's request observations are where no registry is configured
        Observation noop = Observation.start("request", ObservationRegistry.NOOP);
        try (Observation.Scope scope = noop.openScope()) {
            assertThat(accessor.getValue()).as("the thread holds it").isSameAs(noop);
            assertThat(accessor.isEmpty(noop)).isTrue();
            accessor.setValue();
            assertThat(accessor.getValue()).as("no clearing NullObservation").isSameAs(noop);
            accessor.restore();
            assertThat(accessor.getValue()).isSameAs(noop);
        }
        ObservationRegistry observed = ObservationRegistry.create();
        observed.observationConfig().observationHandler(new ScopeRecordingHandler());
        Observation real = Observation.start("real", observed);
        assertThat(accessor.isEmpty(real)).isFalse();
        real.stop();
    }

    @Test
    void theObservationAccessorIsWrappedOnceAndStillMovesObservations() {
        ContextRegistry registry = new ContextRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        registry.registerThreadLocalAccessor(new ObservationThreadLocalAccessor(observations));

        ChangeOnlyThreadLocalAccessor.wrapObservationAccessor(registry);
        ChangeOnlyThreadLocalAccessor.wrapObservationAccessor(registry);

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
