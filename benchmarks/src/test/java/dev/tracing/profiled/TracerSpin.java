package dev.tracing.profiled;

/** Busy work in a class of the tracer's namespace, outside the benchmarks' own package. */
public final class TracerSpin {

    private TracerSpin() {
    }

    /** A few microseconds of arithmetic that the JIT cannot fold away. */
    public static long spin(long seed) {
        long x = seed | 1;
        for (int i = 0; i < 10_000; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }

}
