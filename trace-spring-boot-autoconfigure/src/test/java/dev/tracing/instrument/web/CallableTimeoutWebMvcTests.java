package dev.tracing.instrument.web;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.tracing.testing.TraceAssertions;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code Callable} that outlives Spring MVC's async timeout, on a pooled executor of the
 * application's: it finishes after Tomcat recycled its request, and leaves the pooled thread
 * without the request's span.
 */
@SpringBootTest(classes = CallableTimeoutWebMvcTests.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.mvc.async.request-timeout=200ms",
                "trace.sampling.rate-limit=0",
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class CallableTimeoutWebMvcTests {

    @LocalServerPort
    int port;

    @Autowired
    Tracer tracer;

    @Autowired
    App app;

    @Test
    void aCallableFinishedAfterItsRequestTimedOutLeavesNoSpanOnItsThread() throws Exception {
        HttpResponse<String> response = TraceAssertions.get(port, "/slow");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(app.finished.await(10, TimeUnit.SECONDS)).isTrue();
        // the pool's one thread, after the Callable's postProcess
        Span left = app.mvcPool.submit(() -> tracer.currentSpan()).get(10, TimeUnit.SECONDS);
        assertThat(left).isNull();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App implements WebMvcConfigurer {

        final CountDownLatch finished = new CountDownLatch(1);

        final ThreadPoolTaskExecutor mvcPool = new ThreadPoolTaskExecutor();

        App() {
            mvcPool.setCorePoolSize(1);
            mvcPool.setMaxPoolSize(1);
            mvcPool.setThreadNamePrefix("mvc-");
            mvcPool.initialize();
        }

        @Override
        public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
            configurer.setTaskExecutor(mvcPool);
        }

        @Bean
        Slow slow() {
            return new Slow(finished);
        }

    }

    @RestController
    static class Slow {

        private final CountDownLatch finished;

        Slow(CountDownLatch finished) {
            this.finished = finished;
        }

        @GetMapping("/slow")
        Callable<String> slow() {
            return () -> {
                // blocked in something that ignores interrupts, past the timeout
                long until = System.nanoTime() + Duration.ofMillis(1000).toNanos();
                while (System.nanoTime() < until) {
                    try {
                        Thread.sleep(50);
                    }
                    catch (InterruptedException ignored) {
                        // as a socket read would
                    }
                }
                // after the latch the interceptors' postProcess runs: give it a moment in the next task's queue
                finished.countDown();
                return "late";
            };
        }

    }

}
