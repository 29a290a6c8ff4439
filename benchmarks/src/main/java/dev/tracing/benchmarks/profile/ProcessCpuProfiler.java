package dev.tracing.benchmarks.profile;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler ({@code -prof dev.tracing.benchmarks.profile.ProcessCpuProfiler}) that reports the
 * CPU time of the whole benchmark JVM per operation: the benchmark's threads and every other thread
 * the code under test runs work on (an exporter's, the collector's). JMH's score counts only the time
 * of the benchmark's threads, so work handed to another thread looks free in it.
 *
 * <p>Design notes: the process's CPU time comes from {@code OperatingSystemMXBean}, which on Linux
 * counts in clock ticks (10 ms): over an iteration of 1 s with one busy thread that is about 1%. The
 * figure includes what JMH itself and the JIT spend during the iteration, the same for every
 * configuration of a benchmark, so compare configurations by their difference.
 */
public final class ProcessCpuProfiler implements InternalProfiler {

    private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
        .getOperatingSystemMXBean();

    private long startCpu;

    private long startWall;

    @Override
    public String getDescription() {
        return "CPU time of the whole JVM per operation (all threads), and the cores it kept busy";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        startWall = System.nanoTime();
        startCpu = os.getProcessCpuTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
            IterationParams iterationParams, IterationResult result) {
        long end = os.getProcessCpuTime();
        long wall = System.nanoTime() - startWall;
        if (startCpu < 0 || end < 0) {
            // the platform does not measure process CPU time
            return List.of();
        }
        long cpu = end - startCpu;
        long ops = result.getMetadata().getAllOps();
        double perOp = ops == 0 ? Double.NaN : (double) cpu / ops;
        return List.of(new ScalarResult("cpu.time.norm", perOp, "ns/op", AggregationPolicy.AVG),
                new ScalarResult("cpu.cores", (double) cpu / wall, "cores", AggregationPolicy.AVG));
    }

}
