package dev.tracing.context;

import io.micrometer.context.ContextRegistry;
import reactor.core.publisher.Hooks;

/**
 * Installs the Reactor-Context scope manager: registers the trace context's accessor with
 * context-propagation's global registry and sets Reactor up to restore it, in every operator
 * ({@code automatic}) or only where Reactor always restores ({@code handle} and {@code tap}).
 *
 * <p>Design notes: the registry is global, and a later install replaces the accessor under the
 * same key. Ours is registered after Micrometer's observation accessor, whose clearing scope makes
 * the tracing handlers clear the current span: restored last, the span the Reactor Context holds is
 * the one the thread sees. Both modes restore through {@link ChangeOnlyContextSnapshotFactory};
 * with automatic propagation Micrometer's observation accessor is wrapped to skip unchanged
 * observations too. Needs Reactor on the classpath.
 */
public final class ReactorContextPropagation {

    private ReactorContextPropagation() {
    }

    /**
     * Registers {@code accessor} and sets Reactor up.
     * @param automatic whether Reactor restores the context in every operator (its automatic
     * context propagation, turned on here); otherwise only in {@code handle} and {@code tap},
     * unless something else turned automatic propagation on
     */
    public static void install(TraceContextThreadLocalAccessor accessor, boolean automatic) {
        ContextRegistry registry = ContextRegistry.getInstance();
        if (automatic) {
            // before ours is registered: re-registering moves an accessor to the end of the list
            ChangeOnlyThreadLocalAccessor.wrapObservationAccessor(registry);
        }
        registry.registerThreadLocalAccessor(accessor);
        if (automatic) {
            Hooks.enableAutomaticContextPropagation();
            // after the hook, which replaces Reactor's factory; without it restores work as before, only dearer
            ChangeOnlyContextSnapshotFactory.installInReactor(true);
        }
        else if (!Hooks.isAutomaticContextPropagationEnabled()) {
            // Reactor still restores in handle and tap (Spring's server observation taps every request), keeping
            // what the Reactor Context lacks
            ChangeOnlyContextSnapshotFactory.installInReactor(false);
        }
    }

}
