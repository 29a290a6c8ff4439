package dev.tracing.testing;

import java.lang.reflect.Field;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.core.publisher.Hooks;

/**
 * Reactor's global context-propagation state, which a test that turns automatic propagation on or
 * off changes for every Spring context cached in the JVM: its snapshot factory and its automatic
 * flag, read and written by reflection (both are package-private). {@link #save()} before the
 * test, {@link #restore()} after it, or {@link RestoredAfterEach} around each test of a class, or
 * {@link RestoredAfterAll} around a whole class.
 */
public final class ReactorPropagationState {

    private static final Field FACTORY = field("reactor.core.publisher.ContextPropagation",
            "globalContextSnapshotFactory");

    private static final Field AUTOMATIC = field("reactor.core.publisher.ContextPropagationSupport",
            "propagateContextToThreadLocals");

    private final Object factory;

    private final Object automatic;

    private ReactorPropagationState(Object factory, Object automatic) {
        this.factory = factory;
        this.automatic = automatic;
    }

    /** Reads Reactor's state now. */
    public static ReactorPropagationState save() {
        return new ReactorPropagationState(factory(), get(AUTOMATIC));
    }

    /** Puts back the saved state, the hooks that enabling or disabling automatic propagation changes too. */
    public void restore() {
        if (Boolean.TRUE.equals(automatic)) {
            Hooks.enableAutomaticContextPropagation();
        }
        else {
            Hooks.disableAutomaticContextPropagation();
        }
        factory(factory);
        set(AUTOMATIC, automatic);
    }

    /** Returns the snapshot factory Reactor restores thread-locals through. */
    public static Object factory() {
        return get(FACTORY);
    }

    /** Sets the snapshot factory Reactor restores thread-locals through. */
    public static void factory(Object factory) {
        set(FACTORY, factory);
    }

    /** Sets Reactor's automatic flag alone, without its hooks. */
    public static void automaticFlag(boolean automatic) {
        set(AUTOMATIC, automatic);
    }

    private static Field field(String type, String name) {
        try {
            Field field = Class.forName(type).getDeclaredField(name);
            field.setAccessible(true);
            return field;
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("Reactor's " + type + "." + name + " is gone", ex);
        }
    }

    private static Object get(Field field) {
        try {
            return field.get(null);
        }
        catch (IllegalAccessException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static void set(Field field, Object value) {
        try {
            field.set(null, value);
        }
        catch (IllegalAccessException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace
        .create(ReactorPropagationState.class);

    private static void saveIn(ExtensionContext context) {
        context.getStore(NAMESPACE).put(ReactorPropagationState.class, save());
    }

    private static void restoreFrom(ExtensionContext context) {
        context.getStore(NAMESPACE).get(ReactorPropagationState.class, ReactorPropagationState.class).restore();
    }

    /** Saves Reactor's state before each test of the class it extends and puts it back after. */
    public static final class RestoredAfterEach implements BeforeEachCallback, AfterEachCallback {

        @Override
        public void beforeEach(ExtensionContext context) {
            saveIn(context);
        }

        @Override
        public void afterEach(ExtensionContext context) {
            restoreFrom(context);
        }

    }

    /**
     * Saves Reactor's state before the class it extends (before its {@code @BeforeAll} methods) and
     * puts it back after the class (after its {@code @AfterAll} methods).
     */
    public static final class RestoredAfterAll implements BeforeAllCallback, AfterAllCallback {

        @Override
        public void beforeAll(ExtensionContext context) {
            saveIn(context);
        }

        @Override
        public void afterAll(ExtensionContext context) {
            restoreFrom(context);
        }

    }

}
