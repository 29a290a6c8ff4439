package dev.tracing.export;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP backend on a free loopback port that records what it is sent and can fail on
 * purpose: answer 500, or accept a request and never answer until released.
 */
final class HttpBackend implements AutoCloseable {

    enum Mode {
        ACCEPT, FAIL, HANG,
        /** Answers 200 at once, then its body a byte every 200 ms until released. */
        TRICKLE
    }

    /** A scripted answer, given to the next request instead of the mode's; {@code body} null for none. */
    record Answer(int status, Map<String, String> headers, byte[] body) {

        Answer(int status, Map<String, String> headers) {
            this(status, headers, null);
        }

    }

    /**
     * One request as the backend decoded it; {@code authorization} is that header's value, or null,
     * {@code query} the raw query, or null.
     */
    record Request(String path, String contentType, String authorization, byte[] body, String query) {
    }

    private final HttpServer server;

    private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

    private final CountDownLatch release = new CountDownLatch(1);

    private volatile Mode mode = Mode.ACCEPT;

    private final ConcurrentLinkedQueue<Answer> script = new ConcurrentLinkedQueue<>();

    /** Every request's arrival, in nanoTime, scripted or not. */
    private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();

    HttpBackend() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                if (body.length > maxBodyBytes) {
                    // as a proxy's body limit does: on the bytes sent, compressed or not
                    tooLarge.incrementAndGet();
                    exchange.sendResponseHeaders(413, -1);
                    return;
                }
                if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                        body = in.readAllBytes();
                    }
                }
                arrivals.add(System.nanoTime());
                Answer scripted = script.poll();
                if (scripted != null) {
                    scripted.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                    if (scripted.status() < 300) {
                        requests.add(new Request(exchange.getRequestURI().getPath(),
                                exchange.getRequestHeaders().getFirst("Content-Type"),
                                exchange.getRequestHeaders().getFirst("Authorization"), body,
                                exchange.getRequestURI().getRawQuery()));
                    }
                    if (scripted.body() == null) {
                        exchange.sendResponseHeaders(scripted.status(), -1);
                    }
                    else {
                        exchange.sendResponseHeaders(scripted.status(), scripted.body().length);
                        exchange.getResponseBody().write(scripted.body());
                    }
                    return;
                }
                Mode now = mode;
                if (now == Mode.TRICKLE) {
                    requests.add(new Request(exchange.getRequestURI().getPath(),
                            exchange.getRequestHeaders().getFirst("Content-Type"),
                            exchange.getRequestHeaders().getFirst("Authorization"), body,
                                exchange.getRequestURI().getRawQuery()));
                    exchange.sendResponseHeaders(200, 0);
                    trickling.incrementAndGet();
                    try {
                        while (!release.await(200, TimeUnit.MILLISECONDS)) {
                            exchange.getResponseBody().write('.');
                            exchange.getResponseBody().flush();
                        }
                    }
                    finally {
                        // released, or the client closed the connection (the write failed)
                        trickling.decrementAndGet();
                    }
                    return;
                }
                if (now == Mode.HANG) {
                    hanging++;
                    release.await();
                    return;
                }
                if (now == Mode.FAIL) {
                    exchange.sendResponseHeaders(500, -1);
                    return;
                }
                requests.add(new Request(exchange.getRequestURI().getPath(),
                        exchange.getRequestHeaders().getFirst("Content-Type"),
                        exchange.getRequestHeaders().getFirst("Authorization"), body,
                                exchange.getRequestURI().getRawQuery()));
                long delay = answerDelayMillis;
                if (delay > 0) {
                    Thread.sleep(delay);
                }
                exchange.sendResponseHeaders(202, -1);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    volatile int hanging;

    /** How long an accepted request waits for its answer, as a backend under load makes it. */
    volatile long answerDelayMillis;

    /** Requests with a body larger than this, as sent, are answered 413 (Content Too Large). */
    volatile int maxBodyBytes = Integer.MAX_VALUE;

    /** The requests answered 413. */
    final AtomicInteger tooLarge = new AtomicInteger();

    /** Answers whose body is trickling now. */
    final AtomicInteger trickling = new AtomicInteger();

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The next requests get these answers, in order, before the mode's. */
    void script(Answer... answers) {
        script.addAll(List.of(answers));
    }

    /** When each request arrived (nanoTime), in order. */
    List<Long> arrivals() {
        return List.copyOf(arrivals);
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }

}
