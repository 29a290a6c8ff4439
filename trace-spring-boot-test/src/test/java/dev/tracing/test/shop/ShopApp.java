package dev.tracing.test.shop;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The application the kit's tests run: {@code GET /orders/{id}} asks {@code GET /stock/{id}} on
 * the same server with a WebClient, then sends an event to the {@code orders} topic, which a
 * listener consumes. {@code GET /hello} is the one endpoint the web slice tests call.
 */
@SpringBootApplication
public class ShopApp {

    static final String TOPIC = "orders";

}
