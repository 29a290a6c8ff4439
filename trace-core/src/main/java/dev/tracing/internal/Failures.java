package dev.tracing.internal;

/** What to do with a failure of code we call on the application's behalf (a reporter, a filter). */
public final class Failures {

    private Failures() {
    }

    /**
     * Throws {@code failure} again when the JVM itself is failing (out of memory, out of stack, an
     * internal error): going on would hide it. Anything else (an {@code AssertionError} a check in a
     * user's reporter threw, a {@code LinkageError} of an optional dependency) is the caller's to
     * count and log: tracing never throws it into the application's code.
     */
    public static void rethrowIfFatal(Throwable failure) {
        if (failure instanceof VirtualMachineError fatal) {
            throw fatal;
        }
    }

}
