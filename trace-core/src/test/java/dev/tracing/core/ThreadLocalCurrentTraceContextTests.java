package dev.tracing.core;

import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tracing.core.SpanContext;
import io.micrometer.tracing.CurrentTraceContext;
import io.micrometer.tracing.TraceContext;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;

/** The current context on its own, without a tracer. */
class ThreadLocalCurrentTraceContextTests {

    private final SpanContext a = SpanContext.create(1L, 1L, 0L, 10L, true, false);

    private final SpanContext b = SpanContext.create(2L, 2L, 0L, 20L, true, false);

    @Test
    void scopesNestAndRestoreInReverseOrder() {
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext();
        try (CurrentTraceContext.Scope sa = current.newScope(a)) {
            try (CurrentTraceContext.Scope sb = current.newScope(b)) {
                assertThat(current.context()).isEqualTo(b);
            }
            assertThat(current.context()).isEqualTo(a);
        }
        assertThat(current.context()).isNull();
    }

    @Test
    void scopesOfTwoTasksInterleavedOnOneThreadLeaveItWithoutAContext() {
        // two requests on one event loop, each opening a scope and closing it in a later callback
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of())));
        CurrentTraceContext.Scope first = current.newScope(a);
        CurrentTraceContext.Scope second = current.newScope(b);
        first.close();
        second.close();
        assertThat(current.context()).isNull();
        assertThat(MDC.get("traceId")).isNull();
        try (CurrentTraceContext.Scope third = current.newScope(b)) {
            first.close();
            second.close();
            assertThat(current.context()).isEqualTo(b);
        }
        assertThat(current.context()).isNull();
    }

    @Test
    void aScopeClosedOutOfOrderPutsBackWhatItFoundAndEndsTheScopesOpenedInsideIt() {
        SpanContext c = SpanContext.create(3L, 3L, 0L, 30L, true, false);
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of())));
        try (CurrentTraceContext.Scope sa = current.newScope(a)) {
            CurrentTraceContext.Scope sb = current.newScope(b);
            CurrentTraceContext.Scope sc = current.newScope(c);
            sb.close();
            assertThat(current.context()).isEqualTo(a);
            assertThat(MDC.get("traceId")).isEqualTo(a.traceId());
            sc.close();
            assertThat(current.context()).isEqualTo(a);
            assertThat(MDC.get("traceId")).isEqualTo(a.traceId());
        }
        assertThat(current.context()).isNull();
        assertThat(MDC.get("traceId")).isNull();
    }

    @Test
    void eachDecoratorIsUndoneOnceWhenScopesCloseOutOfOrder() {
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        List<String> told = new ArrayList<>();
        ScopeDecorator counting = context -> {
            open.incrementAndGet();
            return open::decrementAndGet;
        };
        ScopeDecorator listening = context -> new ScopeDecorator.Undo() {
            @Override
            public void run() {
                told.add("closed " + context.spanId());
            }

            @Override
            public void closedOnAnotherThread(Thread closer) {
                told.add("closed elsewhere " + context.spanId());
            }

            @Override
            public void endedByEnclosingScope() {
                told.add("ended " + context.spanId());
            }
        };
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(counting, listening));
        CurrentTraceContext.Scope sa = current.newScope(a);
        CurrentTraceContext.Scope sb = current.newScope(b);
        sa.close();
        assertThat(open).hasValue(0);
        sb.close();
        assertThat(open).hasValue(0);
        assertThat(told).containsExactly("ended " + b.spanId(), "closed " + a.spanId());
    }

    @Test
    void aScopeClosedWithScopesNeverClosedInsideItLeavesTheThreadWithoutAContext() {
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of())));
        CurrentTraceContext.Scope outer = current.newScope(a);
        // more than the scopes link: the innermost ones no longer reach the outer one
        for (int i = 0; i < ThreadLocalCurrentTraceContext.MAX_LINKED_DEPTH * 2 + 3; i++) {
            current.newScope(i % 2 == 0 ? b : a);
        }
        outer.close();
        assertThat(current.context()).isNull();
        assertThat(MDC.get("traceId")).isNull();
        try (CurrentTraceContext.Scope next = current.newScope(b)) {
            assertThat(current.context()).isEqualTo(b);
        }
        assertThat(current.context()).isNull();
    }

    @Test
    void scopesClosedOutOfOrderBeyondTheLinkedDepthLeaveNoContextOnceTheOutermostCloses() {
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of())));
        CurrentTraceContext.Scope outermost = current.newScope(a);
        CurrentTraceContext.Scope early = current.newScope(b);
        for (int i = 0; i < ThreadLocalCurrentTraceContext.MAX_LINKED_DEPTH + 2; i++) {
            current.newScope(i % 2 == 0 ? a : b); // never closed
        }
        CurrentTraceContext.Scope late = current.newScope(b);
        for (int i = 0; i < ThreadLocalCurrentTraceContext.MAX_LINKED_DEPTH + 2; i++) {
            current.newScope(i % 2 == 0 ? a : b); // never closed
        }
        early.close();
        CurrentTraceContext.Scope after = current.newScope(a);
        late.close();
        after.close();
        outermost.close();
        assertThat(current.context()).isNull();
        assertThat(MDC.get("traceId")).isNull();
    }

    @Test
    void eachThreadHasItsOwnContext() throws InterruptedException {
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext();
        TraceContext[] seen = new TraceContext[1];
        try (CurrentTraceContext.Scope sa = current.newScope(a)) {
            Thread other = new Thread(() -> seen[0] = current.context());
            other.start();
            other.join();
        }
        assertThat(seen[0]).isNull();
    }

    @Test
    void threadsWithAContextNamesOnlyThreadsThatHoldOneNow() throws Exception {
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext();
        java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch close = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        Thread leaky = new Thread(() -> {
            CurrentTraceContext.Scope scope = current.newScope(a);
            opened.countDown();
            await(close);
            scope.close();
            closed.countDown();
            await(new java.util.concurrent.CountDownLatch(1));
        }, "leaky-worker");
        leaky.setDaemon(true);
        leaky.start();
        opened.await();
        try (CurrentTraceContext.Scope sb = current.newScope(b)) {
            assertThat(ThreadLocalCurrentTraceContext.threadsWithAContext()).contains("leaky-worker",
                    Thread.currentThread().getName());
        }
        assertThat(ThreadLocalCurrentTraceContext.threadsWithAContext()).contains("leaky-worker")
            .doesNotContain(Thread.currentThread().getName());
        close.countDown();
        closed.await();
        // the worker is alive, has touched the context, and holds none now
        assertThat(ThreadLocalCurrentTraceContext.threadsWithAContext()).doesNotContain("leaky-worker");
        leaky.interrupt();
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aScopeClosedOnAnotherThreadChangesNothingOnEitherThread() throws Exception {
        List<String> told = new ArrayList<>();
        ScopeDecorator listening = context -> new ScopeDecorator.Undo() {
            @Override
            public void run() {
                told.add("undone on " + Thread.currentThread().getName());
            }

            @Override
            public void closedOnAnotherThread(Thread closer) {
                told.add("closed on " + closer.getName());
            }
        };
        ThreadLocalCurrentTraceContext current = new ThreadLocalCurrentTraceContext(
                List.of(new MdcScopeDecorator(List.of()), listening));
        SpanContext opened = SpanContext.create(0x5c0be1L, 0x5c0be2L, 0L, 0x5c0be3L, true, false);
        SpanContext closersOwn = SpanContext.create(0x5c0be4L, 0x5c0be5L, 0L, 0x5c0be6L, true, false);
        Logger logger = (Logger) LoggerFactory.getLogger(ThreadLocalCurrentTraceContext.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        ThreadLocalCurrentTraceContext.forgetLoggedForeignClose();
        try {
            CurrentTraceContext.Scope scope = current.newScope(opened);
            List<Object> seenByCloser = new ArrayList<>();
            Thread closer = new Thread(() -> {
                try (CurrentTraceContext.Scope own = current.newScope(closersOwn)) {
                    scope.close();
                    scope.close();
                    seenByCloser.add(current.context());
                    seenByCloser.add(String.valueOf(MDC.get(MdcScopeDecorator.TRACE_ID)));
                    seenByCloser.add(String.valueOf(MDC.get(MdcScopeDecorator.SPAN_ID)));
                }
            }, "foreign-closer");
            closer.start();
            closer.join();

            // the closing thread keeps its own context and log ids
            assertThat(seenByCloser).containsExactly(closersOwn, closersOwn.traceId(), closersOwn.spanId());
            // an undo that listens hears of each close elsewhere (then the closer's own scope closes)
            assertThat(told).containsExactly("closed on foreign-closer", "closed on foreign-closer",
                    "undone on foreign-closer");
            // the opening thread keeps the scope's, and can still close it
            assertThat(current.context()).isSameAs(opened);
            assertThat(MDC.get(MdcScopeDecorator.TRACE_ID)).isEqualTo(opened.traceId());
            scope.close();
            assertThat(current.context()).isNull();
            assertThat(MDC.get(MdcScopeDecorator.TRACE_ID)).isNull();
            assertThat(MDC.get(MdcScopeDecorator.SPAN_ID)).isNull();
            assertThat(told).endsWith("undone on " + Thread.currentThread().getName());
            // closed for good: another thread's close now is nothing, not a close elsewhere
            Thread late = new Thread(scope::close, "late-closer");
            late.start();
            late.join();
            assertThat(told).hasSize(4);
        }
        finally {
            logger.detachAppender(appender);
        }
        // said once, naming both threads
        assertThat(appender.list).filteredOn(event -> event.getLevel() == Level.WARN)
            .singleElement()
            .satisfies(event -> assertThat(event.getFormattedMessage()).contains(opened.spanId(),
                    "closed on thread foreign-closer", "not on the thread of id " + Thread.currentThread().getId() + ","));
    }

    @Test
    void decoratorsRunInOrderAndAreUndoneInReverseOrder() {
        List<String> calls = new ArrayList<>();
        ScopeDecorator first = context -> {
            calls.add("open first " + context.spanId());
            return () -> calls.add("close first");
        };
        ScopeDecorator second = context -> {
            calls.add("open second " + context.spanId());
            return () -> calls.add("close second");
        };
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(first, second));
        CurrentTraceContext.Scope scope = current.newScope(a);
        scope.close();
        scope.close();

        assertThat(calls).containsExactly("open first " + a.spanId(), "open second " + a.spanId(), "close second",
                "close first");
    }

    @Test
    void maybeScopeOfAnEqualContextIsANoop() {
        List<String> calls = new ArrayList<>();
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(context -> {
            calls.add("open");
            return null;
        }));
        SpanContext sameIdsOtherInstance = SpanContext.create(1L, 1L, 0L, 10L, true, false);
        try (CurrentTraceContext.Scope sa = current.newScope(a);
                CurrentTraceContext.Scope same = current.maybeScope(sameIdsOtherInstance)) {
            assertThat(same).isSameAs(CurrentTraceContext.Scope.NOOP);
            assertThat(current.context()).isSameAs(a);
        }
        assertThat(calls).containsExactly("open");
    }

    @Test
    void aThrowingDecoratorNeitherEscapesNorLeavesTheContextBehind() {
        ScopeDecorator throwsOnOpen = context -> {
            throw new IllegalStateException("decorator broke");
        };
        ScopeDecorator throwsOnClose = context -> () -> {
            throw new IllegalStateException("undo broke");
        };
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(throwsOnOpen, throwsOnClose));
        TraceContext context = SpanContext.create(1L, 2L, 0L, 3L, true, false);

        CurrentTraceContext.Scope scope = current.newScope(context);
        assertThat(current.context()).isEqualTo(context);
        scope.close();

        assertThat(current.context()).isNull();
    }

    @Test
    void aSingleDecoratorIsUndoneOnceEvenWhenItsUndoThrows() {
        List<String> calls = new ArrayList<>();
        ScopeDecorator decorator = context -> {
            calls.add("open " + context.spanId());
            return () -> {
                calls.add("undo " + context.spanId());
                throw new IllegalStateException("undo broke");
            };
        };
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(decorator));
        TraceContext outer = SpanContext.create(1L, 2L, 0L, 3L, true, false);
        TraceContext inner = SpanContext.create(1L, 2L, 3L, 4L, true, false);

        CurrentTraceContext.Scope outerScope = current.newScope(outer);
        CurrentTraceContext.Scope innerScope = current.newScope(inner);
        innerScope.close();
        innerScope.close();
        assertThat(current.context()).isEqualTo(outer);
        outerScope.close();

        assertThat(current.context()).isNull();
        assertThat(calls).containsExactly("open " + outer.spanId(), "open " + inner.spanId(),
                "undo " + inner.spanId(), "undo " + outer.spanId());
    }

    @Test
    void pushAndPopNestLikeScopesAndUndoTheDecoratorsInReverse() {
        List<String> calls = new ArrayList<>();
        ScopeDecorator recording = context -> {
            calls.add("set " + context.spanId());
            return () -> calls.add("undo " + context.spanId());
        };
        ThreadLocalCurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(recording));
        current.push(a);
        // the context the thread has already: nothing set, nothing undone, still a level to pop
        current.push(a);
        current.push(b);
        assertThat(current.context()).isEqualTo(b);
        current.pop();
        assertThat(current.context()).isEqualTo(a);
        current.pop();
        assertThat(current.context()).isEqualTo(a);
        // a scope opened between a push and its pop restores what the push set
        try (CurrentTraceContext.Scope scope = current.newScope(b)) {
            assertThat(current.context()).isEqualTo(b);
        }
        current.pop();
        assertThat(current.context()).isNull();
        current.pop();
        assertThat(current.context()).isNull();
        assertThat(calls).containsExactly("set " + a.spanId(), "set " + b.spanId(), "undo " + b.spanId(),
                "set " + b.spanId(), "undo " + b.spanId(), "undo " + a.spanId());
    }

}
