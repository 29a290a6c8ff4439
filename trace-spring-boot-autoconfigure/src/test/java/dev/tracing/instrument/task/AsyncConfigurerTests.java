package dev.tracing.instrument.task;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.tracing.autoconfigure.TraceAutoConfiguration;
import dev.tracing.autoconfigure.TraceReactorAutoConfiguration;
import dev.tracing.autoconfigure.TraceTaskExecutionAutoConfiguration;
import dev.tracing.instrument.task.other.LibraryAsyncConfigurer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.aop.interceptor.AsyncUncaughtExceptionHandler;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.AsyncConfigurer;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @Async} methods run in their caller's span, with its ids in the MDC, on the executor an
 * {@link AsyncConfigurer} returns, which is not a bean: a JDK pool or a Spring executor built and
 * initialized inside {@code getAsyncExecutor()}, and a configuration class that is its own
 * configurer still makes its beans. (Where Boot makes its own executor, it wraps every
 * {@code AsyncConfigurer} bean, so there the configurers are beans of their own.)
 */
class AsyncConfigurerTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withPropertyValues("trace.sampling.rate-limit=0")
        .withConfiguration(AutoConfigurations.of(TraceAutoConfiguration.class, TraceReactorAutoConfiguration.class,
                TraceTaskExecutionAutoConfiguration.class, TaskExecutionAutoConfiguration.class));

    @Test
    void asyncOnAJdkPoolTheConfigurerReturnsRunsInTheCallersSpan() {
        runner.withUserConfiguration(JdkPoolConfigurer.class).run(context -> {
            assertThat(seenByAsyncCalledInASpan(context)).isEqualTo("the caller's span");
            // the pool's thread is left without it
            assertThat(context.getBean(Worker.class).work().get(10, TimeUnit.SECONDS)).isEqualTo("jdk-pool none | null");
        });
    }

    @Test
    void asyncOnASpringExecutorTheConfigurerBuildsRunsInTheCallersSpan() {
        runner.withUserConfiguration(SpringExecutorConfigurer.class).run(context -> {
            assertThat(seenByAsyncCalledInASpan(context)).isEqualTo("the caller's span");
            assertThat(context.getBean(Worker.class).work().get(10, TimeUnit.SECONDS)).isEqualTo("spring-pool none | null");
        });
    }

    @Test
    void aConfigurationClassThatIsItsOwnConfigurerStillMakesItsBeans() {
        // Spring's documented set-up: the executor is a bean of the same class, so Boot makes none of its own
        runner.withUserConfiguration(ConfigurationClassConfigurer.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(ConfigurationClassConfigurer.class);
            assertThat(seenByAsyncCalledInASpan(context)).isEqualTo("the caller's span");
            assertThat(context.getBean(Worker.class).work().get(10, TimeUnit.SECONDS)).isEqualTo("own-pool none | null");
        });
    }

    @Test
    void aConfigurerWhosePoolIsABeanKeepsItAndSpringShutsItDown() {
        // @Bean on getAsyncExecutor() with a narrower type: the bean stays the application's pool
        runner.withUserConfiguration(BeanPoolConfigurer.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("getAsyncExecutor")).isInstanceOf(ExecutorService.class);
        });
        assertThat(BeanPoolConfigurer.pool.isShutdown()).isTrue();
    }

    @Test
    void aConfigurerNoSubclassCanStandInForIsLeftAsItIs() {
        // a final lite configuration class, and one with a private event listener (each with an executor bean, so
        // Boot wraps no configurer itself): both start as without the starter
        runner.withUserConfiguration(FinalConfigurer.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(FinalConfigurer.class);
            assertThat(context.getBean("finalsBean")).isEqualTo("made by a final class");
        });
        runner.withUserConfiguration(ListeningConfigurer.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(ListeningConfigurer.class);
            assertThat(ListeningConfigurer.heard.get()).isTrue();
        });
    }

    @Test
    void aConfigurerALibraryClassListensInIsLeftAsItIs() {
        runner.withUserConfiguration(FromLibraryConfigurer.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(LibraryAsyncConfigurer.heard.get()).isEqualTo("SEEN");
        });
    }

    @Test
    void aConfigurerInACircularReferenceIsLeftAsItIs() {
        runner.withAllowCircularReferences(true).withUserConfiguration(CircularConfigurer.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(CircularConfigurer.Auditor.class).configurer)
                .isSameAs(context.getBean(CircularConfigurer.class));
        });
    }

    @Test
    void aConfigurerWithoutAnExecutorStillGetsBootsAndItsExceptionHandlerStillRuns() {
        // regression guard: the configurer's other answers reach Spring through the proxy
        runner.withUserConfiguration(HandlerOnlyConfigurer.class).run(context -> {
            assertThat(seenByAsyncCalledInASpan(context)).isEqualTo("the caller's span");
            context.getBean(Worker.class).fail();
            assertThat(HandlerOnlyConfigurer.handled.get(10, TimeUnit.SECONDS)).isEqualTo("fail: no luck");
        });
    }

    @Test
    void bootsOwnConfigurerRunsAsyncInTheCallersSpanWithoutAProxy() {
        // a subclass proxy of Boot's configurer cost the end-to-end benchmark app about 150 ms of start-up (CGLIB),
        // an interface proxy loads Spring's proxy machinery
        runner.withUserConfiguration(NoConfigurer.class).run(context -> {
            AsyncConfigurer configurer = context.getBean(AsyncConfigurer.class);
            assertThat(AopUtils.isAopProxy(configurer)).isFalse();
            assertThat(configurer.toString()).startsWith("traced ");
            assertThat(seenByAsyncCalledInASpan(context)).isEqualTo("the caller's span");
        });
    }

    /** What an {@code @Async} method called inside a span sees: its thread, span and MDC trace id. */
    private static String seenByAsyncCalledInASpan(ApplicationContext context) throws Exception {
        Tracer tracer = context.getBean(Tracer.class);
        Span caller = tracer.nextSpan().name("caller").start();
        CompletableFuture<String> seen;
        try (Tracer.SpanInScope scope = tracer.withSpan(caller)) {
            seen = context.getBean(Worker.class).work();
        }
        finally {
            caller.end();
        }
        String result = seen.get(10, TimeUnit.SECONDS);
        String expected = caller.context().traceId() + "/" + caller.context().spanId() + " | " + caller.context().traceId();
        return result.endsWith(" " + expected) ? "the caller's span" : result;
    }

    static class Worker {

        private final Tracer tracer;

        Worker(Tracer tracer) {
            this.tracer = tracer;
        }

        @Async
        CompletableFuture<String> work() {
            Span current = tracer.currentSpan();
            return CompletableFuture.completedFuture(Thread.currentThread().getName().replaceAll("-\\d+$", "") + " "
                    + (current == null ? "none" : current.context().traceId() + "/" + current.context().spanId())
                    + " | " + MDC.get("traceId"));
        }

        @Async
        void fail() {
            throw new IllegalStateException("no luck");
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    @Import(Workers.class)
    static class JdkPoolConfigurer {

        @Bean
        AsyncConfigurer asyncConfigurer() {
            return new AsyncConfigurer() {
                @Override
                public Executor getAsyncExecutor() {
                    return Executors.newSingleThreadExecutor(task -> {
                        Thread thread = new Thread(task, "jdk-pool-1");
                        thread.setDaemon(true);
                        return thread;
                    });
                }
            };
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    @Import(Workers.class)
    static class SpringExecutorConfigurer {

        @Bean
        AsyncConfigurer asyncConfigurer() {
            return new AsyncConfigurer() {
                @Override
                public Executor getAsyncExecutor() {
                    ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
                    executor.setCorePoolSize(1);
                    executor.setThreadNamePrefix("spring-pool-");
                    executor.setDaemon(true);
                    executor.initialize();
                    return executor;
                }
            };
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    @Import(Workers.class)
    static class HandlerOnlyConfigurer {

        static final CompletableFuture<String> handled = new CompletableFuture<>();

        @Bean
        AsyncConfigurer asyncConfigurer() {
            return new AsyncConfigurer() {
                @Override
                public AsyncUncaughtExceptionHandler getAsyncUncaughtExceptionHandler() {
                    return (ex, method, params) -> handled.complete(method.getName() + ": " + ex.getMessage());
                }
            };
        }

    }

    @Configuration
    @EnableAsync
    @Import(Workers.class)
    static class ConfigurationClassConfigurer implements AsyncConfigurer {

        @Bean
        ThreadPoolTaskExecutor ownPool() {
            ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
            executor.setCorePoolSize(1);
            executor.setThreadNamePrefix("own-pool-");
            return executor;
        }

        @Override
        public Executor getAsyncExecutor() {
            return ownPool();
        }

    }

    @Configuration
    @EnableAsync
    static class BeanPoolConfigurer implements AsyncConfigurer {

        static ExecutorService pool;

        @Bean
        @Override
        public ExecutorService getAsyncExecutor() {
            pool = Executors.newSingleThreadExecutor();
            return pool;
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    @Import(AnExecutorBean.class)
    static final class FinalConfigurer implements AsyncConfigurer {

        @Bean
        String finalsBean() {
            return "made by a final class";
        }

        @Override
        public Executor getAsyncExecutor() {
            return Executors.newSingleThreadExecutor();
        }

    }

    @Configuration
    @EnableAsync
    @Import(AnExecutorBean.class)
    static class ListeningConfigurer implements AsyncConfigurer {

        static final AtomicBoolean heard = new AtomicBoolean();

        @EventListener(ContextRefreshedEvent.class)
        private void refreshed() {
            heard.set(true);
        }

        @Override
        public Executor getAsyncExecutor() {
            return Executors.newSingleThreadExecutor();
        }

    }

    @Configuration
    @EnableAsync
    @Import(AnExecutorBean.class)
    static class FromLibraryConfigurer extends LibraryAsyncConfigurer {
    }

    @Configuration
    @EnableAsync
    @Import(AnExecutorBean.class)
    static class CircularConfigurer implements AsyncConfigurer {

        @Autowired
        Auditor auditor;

        @Bean
        Auditor auditor(CircularConfigurer configurer) {
            return new Auditor(configurer);
        }

        @Override
        public Executor getAsyncExecutor() {
            return Executors.newSingleThreadExecutor();
        }

        static class Auditor {

            final CircularConfigurer configurer;

            Auditor(CircularConfigurer configurer) {
                this.configurer = configurer;
            }

        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    @Import(Workers.class)
    static class NoConfigurer {

    }

    /** The {@code @Async} bean every configurer's test calls. */
    @Configuration(proxyBeanMethods = false)
    static class Workers {

        @Bean
        Worker worker(Tracer tracer) {
            return new Worker(tracer);
        }

    }

    /** An executor bean: without one Boot makes its own and wraps every AsyncConfigurer bean itself. */
    @Configuration(proxyBeanMethods = false)
    static class AnExecutorBean {

        @Bean
        ThreadPoolTaskExecutor anExecutor() {
            return new ThreadPoolTaskExecutor();
        }

    }

}
