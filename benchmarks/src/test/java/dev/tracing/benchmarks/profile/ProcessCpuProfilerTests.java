package dev.tracing.benchmarks.profile;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.tracing.profiled.TracerSpin;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.IterationResultMetaData;
import org.openjdk.jmh.results.Result;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The work of a thread other than the benchmark's is in the profiler's CPU per operation: here the
 * benchmark's thread only waits while another burns a known amount of CPU, measured on that thread's
 * own clock (so the test does not depend on how fast the machine is).
 */
class ProcessCpuProfilerTests {

    private static final long OPS = 1_000;

    @Test
    void countsTheCpuOfAnotherThreadPerOperation() throws Exception {
        long burned = Duration.ofMillis(300).toNanos();
        ProcessCpuProfiler profiler = new ProcessCpuProfiler();

        profiler.beforeIteration(null, null);
        AtomicLong sink = new AtomicLong();
        Thread worker = new Thread(() -> {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long spun = 0;
            while (threads.getCurrentThreadCpuTime() < burned) {
                spun += TracerSpin.spin(spun);
            }
            sink.set(spun);
        }, "other-thread");
        worker.start();
        worker.join();
        assertThat(sink.get()).as("the other thread ran").isNotZero();
        Map<String, Result> results = profiler
            .afterIteration(null, null, new IterationResult(null, null, new IterationResultMetaData(OPS, OPS)))
            .stream()
            .collect(Collectors.toMap(Result::getLabel, Function.identity()));

        // the process clock counts in ticks of 10 ms: allow one
        double leastPerOp = (burned - Duration.ofMillis(10).toNanos()) / (double) OPS;
        assertThat(results.get("cpu.time.norm").getScore()).isGreaterThanOrEqualTo(leastPerOp);
        assertThat(results.get("cpu.time.norm").getScoreUnit()).isEqualTo("ns/op");
        assertThat(results.get("cpu.cores").getScore()).isPositive();
    }

}
