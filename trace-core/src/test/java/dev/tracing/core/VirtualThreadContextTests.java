package dev.tracing.core;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.CurrentTraceContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The current context on virtual threads (Java 21+): each has its context and MDC ids as any
 * thread has, but is not tracked for {@link ThreadLocalCurrentTraceContext#threadsWithAContext()}:
 * tracking one per task cost several times the scope's own work. The build runs on Java 17, where these are skipped; the {@code virtual-threads} profile
 * (active where a JDK 25 is installed) runs them on it.
 */
class VirtualThreadContextTests {

    private final SpanContext a = SpanContext.create(1L, 1L, 0L, 10L, true, false);

    @BeforeAll
    static void needsVirtualThreads() {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21+");
    }

    @Test
    void aVirtualThreadHasItsContextAndMdcButIsNotTracked() throws Exception {
        CurrentTraceContext current = new ThreadLocalCurrentTraceContext(List.of(new MdcScopeDecorator(List.of())));
        CountDownLatch opened = new CountDownLatch(1);
        CountDownLatch close = new CountDownLatch(1);
        Object[] seen = new Object[4];
        Thread virtual = virtualThread("leaky-virtual", () -> {
            CurrentTraceContext.Scope scope = current.newScope(a);
            seen[0] = current.context();
            seen[1] = MDC.get("traceId");
            opened.countDown();
            try {
                close.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            scope.close();
            seen[2] = current.context();
            seen[3] = MDC.get("traceId");
        });
        assertThat(ThreadLocalCurrentTraceContext.isVirtual(virtual)).isTrue();
        assertThat(ThreadLocalCurrentTraceContext.isVirtual(Thread.currentThread())).isFalse();
        virtual.start();
        assertThat(opened.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(seen[0]).isSameAs(a);
        assertThat(seen[1]).isEqualTo(a.traceId());
        // it holds a context now, and is still not named
        assertThat(ThreadLocalCurrentTraceContext.threadsWithAContext()).doesNotContain("leaky-virtual");
        close.countDown();
        virtual.join(10_000);
        assertThat(virtual.isAlive()).isFalse();
        assertThat(seen[2]).isNull();
        assertThat(seen[3]).isNull();
    }

    /** {@code Thread.ofVirtual().name(name).unstarted(task)}, through the API the build cannot compile against. */
    private static Thread virtualThread(String name, Runnable task) throws Exception {
        Class<?> builderType = Class.forName("java.lang.Thread$Builder");
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        builder = builderType.getMethod("name", String.class).invoke(builder, name);
        return (Thread) builderType.getMethod("unstarted", Runnable.class).invoke(builder, task);
    }

}
