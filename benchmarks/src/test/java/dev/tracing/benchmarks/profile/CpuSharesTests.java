package dev.tracing.benchmarks.profile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.tracing.profiled.TracerSpin;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real JFR recording of this thread spinning in a class of the tracer's package: its samples
 * are the tracer's, by that class, and not the JDK's, whose frames sit above it on the stack.
 */
class CpuSharesTests {

    @Test
    void samplesGoToTheFirstFrameOutsideTheJdk(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spin.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            recording.start();
            long sink = 0;
            long end = System.nanoTime() + Duration.ofMillis(400).toNanos();
            while (System.nanoTime() < end) {
                sink += TracerSpin.spin(sink);
            }
            recording.stop();
            recording.dump(file);
            assertThat(sink).isNotZero();
        }

        CpuShares.Counts counts = CpuShares.count(List.of(file));

        assertThat(counts.samples()).isPositive();
        long tracer = counts.byOwner().get(CpuShares.TRACER);
        assertThat(counts.percent(tracer)).isGreaterThan(50.0);
        assertThat(counts.tracerClasses()).containsKey(TracerSpin.class.getName());
    }

}
