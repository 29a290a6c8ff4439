package dev.tracing.context;

import java.util.ArrayList;
import java.util.List;

import dev.tracing.core.SpanContext;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Setting what the thread already has costs nothing, in the wrapper and in our own accessor. */
class ChangeOnlyThreadLocalAccessorTest {

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

}
