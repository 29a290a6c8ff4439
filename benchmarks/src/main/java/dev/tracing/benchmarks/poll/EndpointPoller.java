package dev.tracing.benchmarks.poll;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Polls a URL from a number of clients, each once every interval, for a duration, as dashboards
 * watching the traces endpoint would; prints how many polls were answered and their average time.
 * Used by {@code benchmarks/endpoint-poll.sh}. Arguments: url clients intervalMillis seconds.
 */
public final class EndpointPoller {

    private EndpointPoller() {
    }

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        int clients = Integer.parseInt(args[1]);
        long intervalMillis = Long.parseLong(args[2]);
        long until = System.nanoTime() + Duration.ofSeconds(Long.parseLong(args[3])).toNanos();
        HttpClient http = HttpClient.newHttpClient();
        AtomicLong answered = new AtomicLong();
        AtomicLong nanos = new AtomicLong();
        Thread[] threads = new Thread[clients];
        for (int i = 0; i < clients; i++) {
            threads[i] = new Thread(() -> {
                HttpRequest request = HttpRequest.newBuilder(url).build();
                while (System.nanoTime() < until) {
                    long start = System.nanoTime();
                    try {
                        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                            answered.incrementAndGet();
                            nanos.addAndGet(System.nanoTime() - start);
                        }
                        Thread.sleep(intervalMillis);
                    }
                    catch (Exception ex) {
                        return;
                    }
                }
            });
            threads[i].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long polls = answered.get();
        System.out.printf("polls %d avg_ms %.2f%n", polls, polls == 0 ? 0.0 : nanos.get() / 1e6 / polls);
    }

}
