package dev.tracing.benchmarks;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A task per virtual thread, as Spring Boot runs each request and each {@code @Async} task with
 * {@code spring.threads.virtual.enabled=true}: {@value #TASKS} tasks on a new
 * virtual-thread-per-task executor, each starting a child of the caller's span, putting it in
 * scope, reading it back and ending it (the work of {@code TracerComparisonBenchmark.childInScope},
 * on a thread that has never held a context). {@code none} runs the empty task, the cost of the
 * virtual thread alone. Scored per task.
 *
 * <p>Needs Java 21+ (virtual threads); the build targets 17, so the executor is found by
 * reflection. Run: {@code <java 21+> -cp ... org.openjdk.jmh.Main VirtualThreadBenchmark -prof gc}
 * (see benchmarks/README.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VirtualThreadBenchmark {

    static final int TASKS = 1000;

    @Param({ "none", "ours", "brave", "otel" })
    public String tracer;

    private ComparedTracer compared;

    private Span parent;

    private Runnable task;

    @Setup(Level.Trial)
    public void setUp() {
        if (Runtime.version().feature() < 21) {
            throw new IllegalStateException("VirtualThreadBenchmark needs Java 21+ (virtual threads), not "
                    + Runtime.version());
        }
        if ("none".equals(tracer)) {
            task = () -> {
            };
            return;
        }
        compared = ComparedTracer.create(tracer, true);
        parent = compared.tracer.nextSpan().name("request").start();
        Tracer t = compared.tracer;
        Span p = parent;
        task = () -> {
            Span child = t.nextSpan(p).name("child").start();
            try (Tracer.SpanInScope ws = t.withSpan(child)) {
                if (t.currentSpan() == null) {
                    throw new IllegalStateException("no current span in scope");
                }
            }
            child.end();
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (compared != null) {
            parent.end();
            compared.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void taskPerVirtualThread() throws Exception {
        ExecutorService executor = newVirtualThreadPerTaskExecutor();
        for (int i = 0; i < TASKS; i++) {
            executor.execute(task);
        }
        executor.shutdown();
        if (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
            throw new IllegalStateException("tasks still running after a minute");
        }
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}, which the build cannot compile against. */
    static ExecutorService newVirtualThreadPerTaskExecutor() throws ReflectiveOperationException {
        return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

}
