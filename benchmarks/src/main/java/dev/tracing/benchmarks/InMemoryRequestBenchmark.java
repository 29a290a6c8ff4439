package dev.tracing.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tracing.benchmarks.e2e.EndToEndApp;
import dev.tracing.benchmarks.e2e.InMemoryServerResponse;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.boot.ApplicationContextFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.web.context.reactive.AnnotationConfigReactiveWebApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

/**
 * One {@code GET /front} of the end-to-end app ({@link EndToEndApp}: a WebClient call to
 * {@code /back}, mapped) with no socket: the request goes straight into the app's
 * {@link HttpHandler} and the WebClient's call back into it, all on the benchmark's thread. What
 * is left is the work of Spring WebFlux, Reactor and the tracer per request, without Netty, the
 * loopback, the event loops and the load generator that share the cores in {@code e2e.sh}, so
 * it is steadier, and it is the same for every tracer: the tracers' own differences stand out.
 * Reactor Netty's own paths of each tracer's instrumentation (its request headers, its connect)
 * are not taken.
 *
 * <p>The tracer is chosen by the classpath, as in {@code e2e.sh}: {@code benchmarks/in-memory.sh}
 * runs this benchmark once per configuration of {@code e2e-configs.sh}, passing the configuration's
 * arguments in {@code args}. The set-up prints the {@code /front} answer, which shows the
 * {@code traceparent} {@code /back} received and the MDC trace id in {@code /front}'s operator.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InMemoryRequestBenchmark {

    /** The application's arguments, separated by spaces. */
    @Param("--e2e.none=true")
    String args;

    private ConfigurableApplicationContext context;

    private HttpHandler handler;

    @Setup
    public void start() {
        List<String> arguments = new ArrayList<>(List.of(args.trim().split(" +")));
        arguments.addAll(List.of("--e2e.in-memory=true", "--server.port=8080", "--spring.main.banner-mode=off"));
        if (!args.contains("--logging.level.root=")) {
            arguments.add("--logging.level.root=WARN");
        }
        SpringApplication application = new SpringApplication(EndToEndApp.class);
        application.setWebApplicationType(WebApplicationType.REACTIVE);
        // a reactive context that starts no server
        application.setApplicationContextFactory(
                ApplicationContextFactory.of(AnnotationConfigReactiveWebApplicationContext::new));
        context = application.run(arguments.toArray(new String[0]));
        handler = context.getBean(HttpHandler.class);
        String answer = front();
        System.out.println("GET /front answered: " + answer);
        if (answer == null || !answer.startsWith("front+")) {
            // an error page would be measured as fast as any other answer
            throw new IllegalStateException("GET /front failed: " + answer);
        }
    }

    @TearDown
    public void stop() {
        context.close();
    }

    @Benchmark
    public String front() {
        InMemoryServerResponse response = new InMemoryServerResponse();
        handler.handle(MockServerHttpRequest.get("http://127.0.0.1:8080/front").build(), response).block();
        return response.bodyAsString().block();
    }

}
