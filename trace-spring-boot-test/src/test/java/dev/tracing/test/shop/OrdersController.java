package dev.tracing.test.shop;

import java.util.Map;

import reactor.core.publisher.Mono;

import org.springframework.core.env.Environment;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

/** Takes an order: asks the stock service, then tells the {@code orders} topic. */
@RestController
class OrdersController {

    private final WebClient stock;

    private final Environment environment;

    private final KafkaTemplate<String, String> events;

    OrdersController(WebClient.Builder builder, Environment environment, KafkaTemplate<String, String> events) {
        this.stock = builder.build();
        this.environment = environment;
        this.events = events;
    }

    @GetMapping("/orders/{id}")
    Mono<Map<String, Object>> order(@PathVariable String id) {
        return stock.get()
            .uri("http://127.0.0.1:" + environment.getProperty("local.server.port") + "/stock/{id}", id)
            .retrieve()
            .bodyToMono(String.class)
            .flatMap(level -> Mono.fromFuture(events.send(ShopApp.TOPIC, id, "ordered " + id))
                .thenReturn(Map.of("id", id, "stock", level)));
    }

}
