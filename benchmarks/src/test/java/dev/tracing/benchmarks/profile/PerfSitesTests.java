package dev.tracing.benchmarks.profile;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code perf script} text as perf prints it for a JVM with a perf map: each sample goes to the
 * first JIT-compiled frame outside the JDK, scaled by the benchmark thread's samples to the score.
 */
class PerfSitesTests {

    private static final String SCRIPT = """
            dev.tracing.ben 15547 54985.313173:     500250 cpu-clock:\s
            \t          6c5cbb frame::sender+0x14b (/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so)
            \t    7f3898ef41f3 java.lang.Object java.util.HashMap.get(java.lang.Object)+0xb3 (/tmp/perf-15482.map)
            \t    7f3899321d58 void dev.tracing.core.TraceSpan.end()+0xb8 (/tmp/perf-15482.map)
            \t    7f3899342f20 void org.springframework.web.server.adapter.HttpWebHandlerAdapter.handle(java.lang.Object)+0x100 (/tmp/perf-15482.map)

            dev.tracing.ben 15547 54985.315173:     500250 cpu-clock:\s
            \t    7f3899576c00 java.lang.Object org.springframework.core.codec.CharSequenceEncoder$$Lambda$1078/0x00007f34104b4b90.apply(java.lang.Object)+0x2c (/tmp/perf-15482.map)
            \t    7f389939ceb8 void dev.tracing.core.TraceSpan.end()+0x2cb8 (/tmp/perf-15482.map)

            GC Thread#1 15551 54985.316173:     500250 cpu-clock:\s
            \t          83a749 G1ParScanThreadState::trim_queue+0x879 (/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so)

            """;

    @Test
    void eachSampleGoesToItsFirstCompiledFrameOutsideTheJdk(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("ours.txt"), SCRIPT);

        PerfSites.Profile profile = PerfSites.Profile.read(script, 30.0);

        assertThat(profile.samples).isEqualTo(3);
        assertThat(profile.benchmarkThread).isEqualTo("dev.tracing.ben");
        assertThat(profile.benchmarkSamples).isEqualTo(2);
        // two samples of the benchmark's thread are its 30 µs: 15 µs each
        assertThat(profile.byOwner.get(CpuShares.TRACER)).isCloseTo(15.0, within(1e-9));
        assertThat(profile.byOwner.get("Spring (WebFlux, web, core)")).isCloseTo(15.0, within(1e-9));
        assertThat(profile.byOwner.get(PerfSites.JVM_OR_JDK + " GC Thread")).isCloseTo(15.0, within(1e-9));
        assertThat(profile.byMethod).containsOnlyKeys("dev.tracing.core.TraceSpan.end",
                "org.springframework.core.codec.CharSequenceEncoder$$Lambda.apply");
    }

}
