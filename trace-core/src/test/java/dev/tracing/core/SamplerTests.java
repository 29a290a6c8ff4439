package dev.tracing.core;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class SamplerTests {

    private static final int TRACES = 100_000;

    @Test
    void probabilityKeepsThatFractionOfRandomTraces() {
        Sampler sampler = ProbabilitySampler.create(0.25);
        SplittableRandom random = new SplittableRandom(42);
        int sampled = 0;
        for (int i = 0; i < TRACES; i++) {
            if (sampler.isSampled(random.nextLong(), random.nextLong())) {
                sampled++;
            }
        }

        assertThat(sampled).isBetween(24_000, 26_000);
    }

    @Test
    void probabilityKeepsThatFractionOfTracerGeneratedIds() {
        Sampler sampler = ProbabilitySampler.create(0.25);
        int sampled = 0;
        for (int i = 0; i < TRACES; i++) {
            if (sampler.isSampled(IdGenerator.nextId(), IdGenerator.nextId())) {
                sampled++;
            }
        }

        assertThat(sampled).isBetween(24_000, 26_000);
    }

    @Test
    void theSameTraceIdAlwaysGetsTheSameDecision() {
        Sampler sampler = ProbabilitySampler.create(0.25);
        Sampler sameConfigElsewhere = ProbabilitySampler.create(0.25);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            long high = random.nextLong();
            long low = random.nextLong();
            boolean first = sampler.isSampled(high, low);
            assertThat(sampler.isSampled(high, low)).isEqualTo(first);
            assertThat(sameConfigElsewhere.isSampled(high, low)).isEqualTo(first);
            // only the lower 64 bits decide, so 64-bit and 128-bit ids of one trace agree
            assertThat(sampler.isSampled(0L, low)).isEqualTo(first);
        }
    }

    @Test
    void aHigherProbabilityKeepsEveryTraceALowerOneKeeps() {
        Sampler low = ProbabilitySampler.create(0.1);
        Sampler high = ProbabilitySampler.create(0.5);
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            long id = random.nextLong();
            if (low.isSampled(0L, id)) {
                assertThat(high.isSampled(0L, id)).isTrue();
            }
        }
    }

    @Test
    void zeroNeverSamplesAndOneAlwaysSamples() {
        Sampler never = ProbabilitySampler.create(0.0);
        Sampler always = ProbabilitySampler.create(1.0);
        SplittableRandom random = new SplittableRandom(1);
        long[] edges = { 0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE };
        for (long id : edges) {
            assertThat(never.isSampled(id, id)).isFalse();
            assertThat(always.isSampled(id, id)).isTrue();
        }
        for (int i = 0; i < 10_000; i++) {
            long high = random.nextLong();
            long low = random.nextLong();
            assertThat(never.isSampled(high, low)).isFalse();
            assertThat(always.isSampled(high, low)).isTrue();
        }
    }

    @Test
    void invalidProbabilitiesAreRejected() {
        for (double invalid : new double[] { 1.5, -0.1, Double.NaN, Double.POSITIVE_INFINITY }) {
            assertThatIllegalArgumentException().isThrownBy(() -> Sampler.builder().probability(invalid))
                .withMessageContaining("must be between 0.0 and 1.0");
            assertThatIllegalArgumentException().isThrownBy(() -> Sampler.create(invalid, 10));
        }
    }

    @Test
    void invalidRatesAreRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> Sampler.builder().rateLimit(-1))
            .withMessageContaining("must be 0 (no limit) or positive");
        assertThatIllegalArgumentException().isThrownBy(() -> new RateLimitingSampler(0));
        assertThatIllegalArgumentException().isThrownBy(() -> new RateLimitingSampler(-5));
    }

    @Test
    void rateLimitingAllowsTheConfiguredRatePlusTheBurst() {
        RateLimitingSampler sampler = new RateLimitingSampler(100);
        long deadline = System.nanoTime() + 2_000_000_000L;
        int sampled = 0;
        while (System.nanoTime() - deadline < 0) {
            if (sampler.isSampled(1L, 2L)) {
                sampled++;
            }
            Thread.onSpinWait();
        }

        // 100/s for 2 s, plus a burst allowance of 0.1 s: about 210
        assertThat(sampled).isBetween(180, 231);
    }

    @Test
    void rateLimitingAllowsOnlyTheBurstAtOnce() {
        RateLimitingSampler sampler = new RateLimitingSampler(100);
        int sampled = 0;
        for (int i = 0; i < 10_000; i++) {
            if (sampler.isSampled(1L, 2L)) {
                sampled++;
            }
        }

        // a tenth of a second of budget at 100/s (plus the one that is due now)
        assertThat(sampled).isBetween(9, 12);
    }

    @Test
    void belowTenPerSecondThereIsNoBurst() {
        RateLimitingSampler sampler = new RateLimitingSampler(1);
        int sampled = 0;
        for (int i = 0; i < 1000; i++) {
            if (sampler.isSampled(1L, 2L)) {
                sampled++;
            }
        }
        assertThat(sampled).isEqualTo(1);
    }

    @Test
    void createWithBothLimitsSamplesOnlyIdsTheProbabilityKeepsAndNoMoreThanTheRate() {
        Sampler byProbability = ProbabilitySampler.create(0.5);
        Sampler sampler = Sampler.create(0.5, 10);
        SplittableRandom random = new SplittableRandom(11);
        int kept = 0;
        int probabilityWouldKeep = 0;
        for (int i = 0; i < 10_000; i++) {
            long low = random.nextLong();
            boolean wanted = byProbability.isSampled(0L, low);
            if (wanted) {
                probabilityWouldKeep++;
            }
            if (sampler.isSampled(0L, low)) {
                kept++;
                assertThat(wanted).as("a trace the probability rejects is never sampled").isTrue();
            }
        }

        assertThat(probabilityWouldKeep).isGreaterThan(4_000);
        // at once, the limiter allows only its 0.1 s burst at 10/s
        assertThat(kept).isBetween(1, 3);
    }

    @Test
    void createWithBothLimitsDoesNotSpendTheRateOnRejectedTraces() {
        Sampler byProbability = ProbabilitySampler.create(0.5);
        Sampler sampler = Sampler.create(0.5, 1);
        SplittableRandom random = new SplittableRandom(5);
        long rejected;
        do {
            rejected = random.nextLong();
        }
        while (byProbability.isSampled(0L, rejected));
        long accepted;
        do {
            accepted = random.nextLong();
        }
        while (!byProbability.isSampled(0L, accepted));

        for (int i = 0; i < 100; i++) {
            assertThat(sampler.isSampled(0L, rejected)).isFalse();
        }
        assertThat(sampler.isSampled(0L, accepted)).isTrue();
    }

    @Test
    void createPicksTheSimplestSampler() {
        assertThat(Sampler.create(1.0, 0)).isSameAs(Sampler.ALWAYS_SAMPLE);
        assertThat(Sampler.create(0.0, 100)).isSameAs(Sampler.NEVER_SAMPLE);
        assertThat(Sampler.create(1.0, 100)).isInstanceOf(RateLimitingSampler.class);
        assertThat(Sampler.create(0.5, 0)).isInstanceOf(ProbabilitySampler.class);
    }

    @Test
    void builderDefaults() {
        assertThat(Sampler.DEFAULT_PROBABILITY).isEqualTo(1.0);
        assertThat(Sampler.DEFAULT_RATE_LIMIT).isEqualTo(100);
        // every trace by probability, then the rate limit alone
        assertThat(Sampler.builder().build()).isInstanceOf(RateLimitingSampler.class);
        assertThat(Sampler.builder().rateLimit(0).build()).isSameAs(Sampler.ALWAYS_SAMPLE);
    }

    @Test
    void anAbandonedRootGivesBackItsShareOfTheRateLimit() {
        java.util.List<io.micrometer.tracing.exporter.FinishedSpan> reported = new java.util.ArrayList<>();
        TraceTracer tracer = Tracing.newBuilder().sampler(Sampler.create(1.0, 1)).reporter(reported::add).build();
        // a span started only to read a context, then dropped: what the Kafka batch instrumentation does
        io.micrometer.tracing.Span probe = tracer.nextSpan().start();
        assertThat(probe.isNoop()).isFalse();
        probe.abandon();
        // the second's one trace is still there for a span that is recorded
        tracer.nextSpan().name("kept").start().end();
        assertThat(reported).extracting(io.micrometer.tracing.exporter.FinishedSpan::getName).containsExactly("kept");
        // and then it is taken
        tracer.nextSpan().name("over the limit").start().end();
        assertThat(reported).hasSize(1);
    }

}
