package dev.tracing.instrument.webflux;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.tracing.autoconfigure.TraceAutoConfiguration;
import dev.tracing.autoconfigure.TraceReactorAutoConfiguration;
import dev.tracing.autoconfigure.TraceWebFluxAutoConfiguration;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.core.TraceTracer;
import dev.tracing.core.Tracing;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.instrument.http.HttpSpanPolicy;
import dev.tracing.testing.TraceAssertions;
import dev.tracing.testing.Waits;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.exporter.FinishedSpan;
import io.micrometer.tracing.propagation.Propagator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import org.springframework.web.server.ResponseStatusException;

import static dev.tracing.testing.Waits.await;
import static dev.tracing.testing.Waits.throughout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the WebClient and server filters are registered, and how retries and timeouts are traced. */
class TraceWebClientCustomizerTests {

    static final AutoConfigurations TRACE = AutoConfigurations.of(TraceAutoConfiguration.class,
            TraceReactorAutoConfiguration.class, TraceWebFluxAutoConfiguration.class, WebClientAutoConfiguration.class);

    final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
        .withConfiguration(TRACE)
        .withPropertyValues("trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0");

    @Test
    void theFilterIsAddedOnceEvenWhenTheBuilderIsCustomizedTwice() {
        Tracer tracer = Tracing.newBuilder().build();
        TraceExchangeFilterFunction filter = new TraceExchangeFilterFunction(tracer, Propagator.NOOP,
                HttpSpanPolicy.builder().build());
        TraceWebClientCustomizer customizer = new TraceWebClientCustomizer(filter);
        ExchangeFilterFunction userFilter = (request, next) -> next.exchange(request);
        WebClient.Builder builder = WebClient.builder().filter(userFilter);
        customizer.customize(builder);
        customizer.customize(builder);
        // a copy of a customized builder is customized again when Boot hands it out
        WebClient.Builder copy = builder.clone();
        customizer.customize(copy);
        for (WebClient.Builder b : List.of(builder, copy)) {
            List<ExchangeFilterFunction> filters = new ArrayList<>();
            b.filters(filters::addAll);
            assertThat(filters).containsExactly(filter, userFilter);
        }
    }

    @Test
    void eachBuilderFromTheContextHasTheFilterOnce() {
        reactive.run(context -> {
            assertThat(context).hasSingleBean(TraceExchangeFilterFunction.class);
            assertThat(context).hasSingleBean(TraceWebClientCustomizer.class);
            assertThat(context).hasSingleBean(TraceWebFilter.class);
            WebClient.Builder builder = context.getBean(WebClient.Builder.class);
            context.getBeansOfType(WebClientCustomizer.class).values().forEach(c -> c.customize(builder));
            List<ExchangeFilterFunction> filters = new ArrayList<>();
            builder.filters(filters::addAll);
            assertThat(filters).filteredOn(TraceExchangeFilterFunction.class::isInstance).hasSize(1);
        });
    }

    @Test
    void aCallWithTheBuilderOfTheContextMakesAClientSpan() {
        reactive.run(context -> {
            String traceId = callWithStubbedExchange(context.getBean(WebClient.Builder.class),
                    context.getBean(Tracer.class));
            List<FinishedSpan> spans = context.getBean(InMemorySpanStore.class).trace(traceId);
            assertThat(spans).hasSize(2);
            assertThat(spans).filteredOn(s -> s.getKind() == Span.Kind.CLIENT).singleElement()
                .satisfies(client -> assertThat(client.getTags()).containsEntry("url.full", "http://example.invalid/stub")
                    .containsEntry("http.response.status_code", "200"));
        });
    }

    @Test
    void aFilterAfterOursThatThrowsEndsTheClientSpanWithItsError() {
        reactive.run(context -> {
            Tracer tracer = context.getBean(Tracer.class);
            IllegalStateException down = new IllegalStateException("token service down");
            // the application's filter, after ours: it throws instead of returning a failed Mono
            WebClient client = context.getBean(WebClient.Builder.class)
                .clone()
                .filter((request, next) -> {
                    throw down;
                })
                .exchangeFunction(request -> Mono.just(ClientResponse.create(HttpStatus.OK).build()))
                .build();
            Span parent = tracer.nextSpan().name("local").start();
            assertThatThrownBy(() -> client.get()
                .uri("http://example.invalid/stub")
                .retrieve()
                .toBodilessEntity()
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .block(Duration.ofSeconds(5))).isSameAs(down);
            parent.end();
            List<FinishedSpan> spans = context.getBean(InMemorySpanStore.class).trace(parent.context().traceId());
            assertThat(spans).filteredOn(s -> s.getKind() == Span.Kind.CLIENT).singleElement()
                .satisfies(span -> assertThat(span.getError()).hasMessage("token service down"));
            assertThat(((TraceTracer) tracer).openSpanCount()).isZero();
        });
    }

    @Test
    void clientDisabledRegistersNoFilterAndMakesNoClientSpan() {
        reactive.withPropertyValues("trace.web.client.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(TraceExchangeFilterFunction.class);
            assertThat(context).doesNotHaveBean(TraceWebClientCustomizer.class);
            assertThat(context).hasSingleBean(TraceWebFilter.class);
            String traceId = callWithStubbedExchange(context.getBean(WebClient.Builder.class),
                    context.getBean(Tracer.class));
            // only the local parent span: no CLIENT span
            List<FinishedSpan> spans = context.getBean(InMemorySpanStore.class).trace(traceId);
            assertThat(spans).singleElement().satisfies(span -> assertThat(span.getName()).isEqualTo("local"));
        });
    }

    @Test
    void serverDisabledRegistersNoWebFilter() {
        reactive.withPropertyValues("trace.web.server.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(TraceWebFilter.class);
            assertThat(context).hasSingleBean(TraceExchangeFilterFunction.class);
            assertThat(context).hasSingleBean(TraceWebClientCustomizer.class);
        });
    }

    @Test
    void tracingDisabledRegistersNoneOfThem() {
        reactive.withPropertyValues("trace.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(TraceWebFilter.class);
            assertThat(context).doesNotHaveBean(TraceExchangeFilterFunction.class);
            assertThat(context).doesNotHaveBean(TraceWebClientCustomizer.class);
            assertThat(context).doesNotHaveBean(HttpSpanPolicy.class);
            assertThat(context).doesNotHaveBean(TraceContextThreadLocalAccessor.class);
            assertThat(context).hasSingleBean(WebClient.Builder.class);
        });
    }

    @Test
    void aServletApplicationGetsNoWebFilter() {
        new WebApplicationContextRunner().withConfiguration(TRACE).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(TraceWebFilter.class);
            // WebClient is still usable (and traced) in a servlet application
            assertThat(context).hasSingleBean(TraceWebClientCustomizer.class);
        });
    }

    /** Calls a stubbed exchange (no network) inside a local span; returns that span's trace id. */
    static String callWithStubbedExchange(WebClient.Builder builder, Tracer tracer) {
        WebClient client = builder.clone()
            .exchangeFunction(request -> Mono.just(ClientResponse.create(HttpStatus.OK).body("stub").build()))
            .build();
        Span parent = tracer.nextSpan().name("local").start();
        String body = client.get()
            .uri("http://example.invalid/stub")
            .retrieve()
            .bodyToMono(String.class)
            .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
            .block(Duration.ofSeconds(5));
        parent.end();
        assertThat(body).isEqualTo("stub");
        return parent.context().traceId();
    }

    /** Retries and timeouts against the real Reactor Netty server. */
    @Nested
    @SpringBootTest(classes = WebFluxTracingApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = { "spring.main.web-application-type=reactive", "trace.sampling.rate-limit=0",
                    "trace.export.memory.max-traces-per-second=0",
                    "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
    @Import(TraceWebClientCustomizerTests.FlakyEndpoints.class)
    class RealServer {

        @LocalServerPort
        int port;

        @Autowired
        WebClient.Builder builder;

        @Autowired
        Tracer tracer;

        @Autowired
        InMemorySpanStore store;

        List<FinishedSpan> awaitClientSpans(String traceId, int count) throws InterruptedException {
            return TraceAssertions.awaitSpans("CLIENT spans of " + traceId, Waits.TIMEOUT, count,
                    () -> clientSpans(traceId));
        }

        List<FinishedSpan> clientSpans(String traceId) {
            return store.trace(traceId)
                .stream()
                .filter(s -> s.getKind() == Span.Kind.CLIENT)
                .sorted((a, b) -> a.getStartTimestamp().compareTo(b.getStartTimestamp()))
                .toList();
        }

        @Test
        void aCallSubscribedWithoutBlockingIsAChildOfTheSpanCurrentWhereItWasSubscribed() throws Exception {
            Span parent = tracer.nextSpan().name("caller").start();
            java.util.concurrent.CompletableFuture<String> body;
            try (Tracer.SpanInScope scope = tracer.withSpan(parent)) {
                body = builder.baseUrl("http://127.0.0.1:" + port)
                    .build()
                    .get()
                    .uri("/users/{id}", 5)
                    .retrieve()
                    .bodyToMono(String.class)
                    .toFuture();
            }
            assertThat(body.get(10, java.util.concurrent.TimeUnit.SECONDS)).isNotEmpty();
            parent.end();
            List<FinishedSpan> clients = awaitClientSpans(parent.context().traceId(), 1);
            assertThat(clients.get(0).getParentId()).isEqualTo(parent.context().spanId());
        }

        @Test
        void eachRetryAttemptIsItsOwnClientSpan() throws InterruptedException {
            String marker = UUID.randomUUID().toString();
            Span parent = tracer.nextSpan().name("caller").start();
            String body = builder.baseUrl("http://127.0.0.1:" + port)
                .build()
                .get()
                .uri("/flaky/{marker}", marker)
                .retrieve()
                .bodyToMono(String.class)
                .retry(2)
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .block(Duration.ofSeconds(10));
            parent.end();
            assertThat(body).isEqualTo("finally");
            assertThat(FlakyEndpoints.attempts.get(marker)).hasValue(3);

            List<FinishedSpan> clients = awaitClientSpans(parent.context().traceId(), 3);
            assertThat(clients).extracting(FinishedSpan::getSpanId).doesNotHaveDuplicates();
            assertThat(clients).allSatisfy(span -> {
                assertThat(span.getParentId()).isEqualTo(parent.context().spanId());
                assertThat(span.getTags()).containsEntry("url.full",
                        "http://127.0.0.1:" + port + "/flaky/" + marker);
            });
            for (FinishedSpan failed : clients.subList(0, 2)) {
                assertThat(failed.getTags()).containsEntry("http.response.status_code", "500")
                    .containsKey("error");
            }
            assertThat(clients.get(2).getTags()).containsEntry("http.response.status_code", "200")
                .doesNotContainKey("error");
            assertThat(clients.get(2).getError()).isNull();
            // each attempt reached the server as a child of its own CLIENT span
            List<String> serverParents = await()
                .until(() -> store.trace(parent.context().traceId())
                    .stream()
                    .filter(s -> s.getKind() == Span.Kind.SERVER)
                    .map(FinishedSpan::getParentId)
                    .toList(), parents -> parents.size() >= 3);
            assertThat(serverParents).containsExactlyInAnyOrderElementsOf(
                    clients.stream().map(FinishedSpan::getSpanId).toList());
        }

        @Test
        void aRetryThatGivesUpLeavesEveryAttemptEnded() throws InterruptedException {
            String marker = UUID.randomUUID().toString();
            Span parent = tracer.nextSpan().name("caller").start();
            Mono<String> call = builder.baseUrl("http://127.0.0.1:" + port)
                .build()
                .get()
                .uri("/flaky/{marker}", marker)
                .retrieve()
                .bodyToMono(String.class)
                .retry(1)
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()));
            assertThatThrownBy(() -> call.block(Duration.ofSeconds(10)))
                .isInstanceOf(WebClientResponseException.InternalServerError.class);
            parent.end();
            List<FinishedSpan> clients = awaitClientSpans(parent.context().traceId(), 2);
            assertThat(clients).allSatisfy(
                    span -> assertThat(span.getTags()).containsEntry("http.response.status_code", "500"));
        }

        @Test
        void aTimeoutEndsTheClientSpanOnceMarkedCancelled() throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            Mono<String> call = builder.baseUrl("http://127.0.0.1:" + port)
                .build()
                .get()
                .uri("/slow")
                .retrieve()
                .bodyToMono(String.class)
                .timeout(Duration.ofMillis(200))
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()));
            assertThatThrownBy(() -> call.block(Duration.ofSeconds(10)))
                .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
            parent.end();
            List<FinishedSpan> clients = awaitClientSpans(parent.context().traceId(), 1);
            FinishedSpan client = clients.get(0);
            assertThat(client.getParentId()).isEqualTo(parent.context().spanId());
            assertThat(client.getTags()).containsEntry("cancelled", "true")
                .doesNotContainKey("http.response.status_code");
            // no second CLIENT span arrives later
            throughout(Duration.ofMillis(300))
                .until(() -> clientSpans(parent.context().traceId()).size() == 1);
        }

        static final String APPLICATIONS_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        /**
         * GETs {@code path} on this server with {@code client}, as a child of {@code parent}, the
         * request shaped by {@code shape}; returns the body, empty for none.
         */
        String get(WebClient.Builder client, String path, Span parent,
                Consumer<WebClient.RequestHeadersSpec<?>> shape) {
            WebClient.RequestHeadersSpec<?> request = client.baseUrl("http://127.0.0.1:" + port)
                .build()
                .get()
                .uri(path);
            shape.accept(request);
            return request.retrieve()
                .bodyToMono(String.class)
                .defaultIfEmpty("")
                .contextWrite(ctx -> ctx.put(TraceContextThreadLocalAccessor.KEY, parent.context()))
                .block(Duration.ofSeconds(10));
        }

        /** The {@code traceparent} of the one CLIENT span of {@code parent}'s trace, once it ended. */
        String clientTraceparent(Span parent) throws InterruptedException {
            FinishedSpan client = awaitClientSpans(parent.context().traceId(), 1).get(0);
            return "00-" + parent.context().traceId() + "-" + client.getSpanId() + "-01";
        }

        @Test
        void aTraceHeaderTheApplicationSetIsReplacedAndALaterFilterSeesTheSpans() throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            List<String> seenByLaterFilter = new CopyOnWriteArrayList<>();
            WebClient.Builder client = builder.clone().filter((request, next) -> {
                seenByLaterFilter.addAll(request.headers().getOrEmpty("traceparent"));
                return next.exchange(request);
            });
            String received = get(client, "/traceparents", parent,
                    request -> request.header("traceparent", APPLICATIONS_TRACEPARENT));
            parent.end();
            String ours = clientTraceparent(parent);
            // exactly one traceparent reached the server, the CLIENT span's, not the application's
            assertThat(received).isEqualTo(ours);
            assertThat(seenByLaterFilter).containsExactly(ours);
        }

        @Test
        void reactorNettysOwnRequestCarriesTheSpansHeaderBeforeSpringCopiesItsHeadersIn()
                throws InterruptedException {
            // written into the native request, the header takes no entry in Spring's map and no copy at commit
            List<String> nativeHeaders = new CopyOnWriteArrayList<>();
            List<String> springsHeaders = new CopyOnWriteArrayList<>();
            ClientHttpConnector reactorNetty = new ReactorClientHttpConnector();
            ClientHttpConnector watching = (method, uri, callback) -> reactorNetty.connect(method, uri, request -> {
                Mono<Void> written = callback.apply(request);
                HttpClientRequest netty = request.getNativeRequest();
                nativeHeaders.addAll(netty.requestHeaders().getAll("traceparent"));
                springsHeaders.addAll(request.getHeaders().getOrEmpty("traceparent"));
                return written;
            });
            Span parent = tracer.nextSpan().name("caller").start();
            String received = get(builder.clone().clientConnector(watching), "/traceparents", parent, request -> {
            });
            parent.end();
            String ours = clientTraceparent(parent);
            assertThat(received).isEqualTo(ours);
            assertThat(nativeHeaders).containsExactly(ours);
            assertThat(springsHeaders).isEmpty();
        }

        @Test
        void aPropagatedHeaderConfiguredOnReactorNettysClientDoesNotGoOutBesideTheSpans()
                throws InterruptedException {
            // exactly one set of trace headers: a tracestate the HttpClient adds to every request is not the span's
            HttpClient stale = HttpClient.create().headers(headers -> headers.set("tracestate", "stale=1"));
            Span parent = tracer.nextSpan().name("caller").start();
            String received = get(builder.clone().clientConnector(new ReactorClientHttpConnector(stale)),
                    "/header/tracestate,traceparent", parent, request -> {
                    });
            parent.end();
            assertThat(received).isEqualTo(";" + clientTraceparent(parent));
        }

        @Test
        void traceHeadersOfOtherFormatsAGatewayPassesOnAreNotSentBesideTheSpans() throws InterruptedException {
            // a gateway copying its caller's headers: a stale b3 would make a B3-first receiver join the caller
            Span parent = tracer.nextSpan().name("caller").start();
            String received = get(builder.clone(), "/header/b3,x-b3-traceid,uber-trace-id,traceparent", parent,
                    request -> request.header("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")
                        .header("X-B3-TraceId", "80f198ee56343ba864fe8b2a57d3eff7")
                        .header("uber-trace-id", "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1"));
            parent.end();
            assertThat(received).isEqualTo(";;;" + clientTraceparent(parent));

            // the same configured on Reactor Netty's client, where the span's headers are written natively
            HttpClient stale = HttpClient.create().headers(headers -> headers.set("b3", "80f198ee56343ba8-e457b5a2e4d86bd1"));
            Span second = tracer.nextSpan().name("caller").start();
            String natively = get(builder.clone().clientConnector(new ReactorClientHttpConnector(stale)),
                    "/header/b3,traceparent", second, request -> {
                    });
            second.end();
            assertThat(natively).isEqualTo(";" + clientTraceparent(second));
        }

        @Test
        void theApplicationsHttpRequestCallbackHasTheLastWordOnHeaders() throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            String received = get(builder.clone(), "/header/traceparent", parent,
                    request -> request.httpRequest(http -> http.getHeaders().remove("traceparent")));
            parent.end();
            awaitClientSpans(parent.context().traceId(), 1);
            assertThat(received).isEmpty();
        }

        @Test
        void aPropagatedHeaderTheSpanDoesNotWriteIsNotPassedOnFromTheApplication() throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            String received = get(builder.clone(), "/header/tracestate", parent,
                    request -> request.header("tracestate", "stale=1"));
            parent.end();
            awaitClientSpans(parent.context().traceId(), 1);
            assertThat(received).isEmpty();
        }

        @Test
        void theJdkConnectorAndALaterFilterCopyingTheRequestCarryOnlyTheSpansHeader() throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            WebClient.Builder client = builder.clone()
                .clientConnector(new JdkClientHttpConnector())
                .filter((request, next) -> next
                    .exchange(ClientRequest.from(request).header("x-later", "seen").build()));
            String received = get(client, "/header/traceparent", parent,
                    request -> request.header("traceparent", APPLICATIONS_TRACEPARENT));
            parent.end();
            assertThat(received).isEqualTo(clientTraceparent(parent));
        }

        @ParameterizedTest
        @ValueSource(booleans = { false, true })
        void theJdkConnectorCarriesOnlyTheSpansHeader(boolean applicationSetsOne) throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            String received = get(builder.clone().clientConnector(new JdkClientHttpConnector()), "/traceparents",
                    parent, request -> {
                        if (applicationSetsOne) {
                            request.header("traceparent", APPLICATIONS_TRACEPARENT);
                        }
                    });
            parent.end();
            assertThat(received).isEqualTo(clientTraceparent(parent));
        }

        @Test
        void anHttpRequestCallbackThatThrowsRunsOnceAndFailsTheCall() throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> get(builder.clone(), "/traceparents", parent,
                    request -> request.header("traceparent", APPLICATIONS_TRACEPARENT).httpRequest(http -> {
                        calls.incrementAndGet();
                        throw new IllegalStateException("the application's own");
                    })))
                .rootCause()
                .hasMessage("the application's own");
            parent.end();
            FinishedSpan client = awaitClientSpans(parent.context().traceId(), 1).get(0);
            assertThat(client.getError()).hasMessage("the application's own");
            assertThat(calls).hasValue(1);
        }

        @Test
        void aRequestOfAnEarlierFilterKeepsItsOwnWritingWhenTheApplicationSetATraceHeader()
                throws InterruptedException {
            Span parent = tracer.nextSpan().name("caller").start();
            ExchangeFilterFunction signing = (request, next) -> next.exchange(signed(request));
            String received = get(builder.clone().filters(filters -> filters.add(0, signing)),
                    "/header/x-signature,traceparent", parent,
                    request -> request.header("traceparent", APPLICATIONS_TRACEPARENT));
            parent.end();
            // its writeTo ran, and the span's traceparent went out, not the application's
            assertThat(received).isEqualTo("signed;" + clientTraceparent(parent));
        }

        /** A request whose own {@code writeTo} adds a header, as a signing filter's might. */
        private ClientRequest signed(ClientRequest request) {
            return (ClientRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] { ClientRequest.class }, (proxy, method, args) -> {
                        if (method.getName().equals("writeTo")) {
                            ((ClientHttpRequest) args[0]).getHeaders().set("x-signature", "signed");
                        }
                        try {
                            return method.invoke(request, args);
                        }
                        catch (InvocationTargetException ex) {
                            throw ex.getCause();
                        }
                    });
        }

    }

    /** Fails twice with 500 per marker, then answers; echoes the headers it received. */
    @RestController
    static class FlakyEndpoints {

        static final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

        @GetMapping("/flaky/{marker}")
        Mono<String> flaky(@PathVariable String marker) {
            int attempt = attempts.computeIfAbsent(marker, k -> new AtomicInteger()).incrementAndGet();
            if (attempt <= 2) {
                return Mono.error(new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "attempt " + attempt));
            }
            return Mono.just("finally");
        }

        @GetMapping("/traceparents")
        String traceparents(@RequestHeader HttpHeaders headers) {
            return String.join(",", headers.getOrEmpty("traceparent"));
        }

        /** The values of each header named (names separated by commas), joined by ";" between headers. */
        @GetMapping("/header/{names}")
        String header(@PathVariable String names, @RequestHeader HttpHeaders headers) {
            List<String> values = new ArrayList<>();
            for (String name : names.split(",")) {
                values.add(String.join(",", headers.getOrEmpty(name)));
            }
            return String.join(";", values);
        }

    }

}
