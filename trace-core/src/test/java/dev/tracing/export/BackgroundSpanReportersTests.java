package dev.tracing.export;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.exporter.SpanReporter;
import org.junit.jupiter.api.Test;

import static dev.tracing.testing.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Which reporters move to a thread of their own, and what closing leaves to the reporters' owner. */
class BackgroundSpanReportersTests {

    @Test
    void ourReportersStayOnTheCallingThreadAndTheApplicationsMoveToTheirOwn() {
        InMemorySpanStore store = new InMemorySpanStore(10);
        List<String> threads = new CopyOnWriteArrayList<>();
        List<FinishedSpan> reported = new CopyOnWriteArrayList<>();
        AtomicInteger closed = new AtomicInteger();
        SpanReporter application = new SpanReporter() {
            @Override
            public void report(FinishedSpan span) {
                threads.add(Thread.currentThread().getName());
                reported.add(span);
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
        Map<String, SpanReporter> byName = new LinkedHashMap<>();
        byName.put("store", store);
        byName.put("audit", application);

        try (BackgroundSpanReporters reporters = new BackgroundSpanReporters(byName, 100, Duration.ofSeconds(2))) {
            assertThat(reporters.reporters()).hasSize(2).first().isSameAs(store);
            assertThat(reporters.reporters().get(1)).isSameAs(reporters.background().get("audit"));
            assertThat(reporters.background()).containsOnlyKeys("audit");

            SpanPipeline pipeline = new SpanPipeline(List.of(), List.of(), reporters.reporters());
            TraceTracer tracer = Tracing.newBuilder().serviceName("svc").reporter(pipeline::report).build();
            for (int i = 0; i < 5; i++) {
                tracer.nextSpan().name("span-" + i).start().end();
            }
            assertThat(store.spanCount()).isEqualTo(5);
        }
        // closing drains the queue, and leaves closing the reporter to whoever created it
        assertThat(reported).extracting(FinishedSpan::getName)
            .containsExactly("span-0", "span-1", "span-2", "span-3", "span-4");
        assertThat(threads).containsOnly("trace-span-reporter-audit");
        assertThat(closed).hasValue(0);
    }


    @Test
    void aReporterThatLeavesItsThreadInterruptedKeepsReceivingSpans() {
        List<FinishedSpan> reported = new CopyOnWriteArrayList<>();
        // the usual "restore the interrupt" idiom after a wait that was cut short
        SpanReporter restoresTheInterrupt = span -> {
            reported.add(span);
            Thread.currentThread().interrupt();
        };
        try (BackgroundSpanReporters reporters = new BackgroundSpanReporters(Map.of("audit", restoresTheInterrupt),
                100, Duration.ofSeconds(2))) {
            TraceTracer tracer = Tracing.newBuilder()
                .reporter(new SpanPipeline(List.of(), List.of(), reporters.reporters())::report)
                .build();
            tracer.nextSpan().name("first").start().end();
            await().atMost(Duration.ofSeconds(10)).until(() -> reported.size() == 1);
            for (int i = 0; i < 20; i++) {
                tracer.nextSpan().name("later-" + i).start().end();
                // one at a time: each finds the worker waiting, as in an application
                int expected = i + 2;
                await().atMost(Duration.ofSeconds(10)).until(() -> reported.size() == expected);
            }
            assertThat(reporters.background().get("audit").droppedCount("audit", BatchingSpanReporter.QUEUE_FULL))
                .isZero();
        }
    }

    @Test
    void closingGivesAllTheQueuesOneTimeoutTogether() throws Exception {
        CountDownLatch stuck = new CountDownLatch(2);
        CountDownLatch backendsBack = new CountDownLatch(1);
        SpanReporter deadWebhook = span -> {
            stuck.countDown();
            try {
                backendsBack.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        };
        Map<String, SpanReporter> byName = new LinkedHashMap<>();
        byName.put("first", deadWebhook);
        byName.put("second", deadWebhook);
        BackgroundSpanReporters reporters = new BackgroundSpanReporters(byName, 100, Duration.ofSeconds(1));
        try {
            TraceTracer tracer = Tracing.newBuilder()
                .reporter(new SpanPipeline(List.of(), List.of(), reporters.reporters())::report)
                .build();
            tracer.nextSpan().name("stuck").start().end();
            tracer.nextSpan().name("queued").start().end();
            assertThat(stuck.await(10, TimeUnit.SECONDS)).isTrue();

            long start = System.nanoTime();
            reporters.close();
            // one timeout (1 s) for both, where each took its own before (2 s)
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1600));
            for (String name : byName.keySet()) {
                assertThat(reporters.background().get(name).droppedCount(name, BatchingSpanReporter.SHUTDOWN))
                    .isEqualTo(1);
            }
        }
        finally {
            backendsBack.countDown();
        }
    }

}
