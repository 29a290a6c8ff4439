package dev.tracing.export;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP backend on a free loopback port that records what it is sent and can fail on
 * purpose: answer 500, or accept a request and never answer until released.
 */
final class HttpBackend implements AutoCloseable {

    enum Mode {
        ACCEPT, FAIL, HANG
    }

    /** One request as the backend decoded it; {@code authorization} is that header's value, or null. */
    record Request(String path, String contentType, String authorization, byte[] body) {
    }

    private final HttpServer server;

    private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

    private final CountDownLatch release = new CountDownLatch(1);

    private volatile Mode mode = Mode.ACCEPT;

    HttpBackend() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                        body = in.readAllBytes();
                    }
                }
                Mode now = mode;
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
                        exchange.getRequestHeaders().getFirst("Authorization"), body));
                exchange.sendResponseHeaders(202, -1);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    volatile int hanging;

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }

}
