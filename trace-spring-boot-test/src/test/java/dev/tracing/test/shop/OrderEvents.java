package dev.tracing.test.shop;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/** Consumes the {@code orders} topic. */
@Component
class OrderEvents {

    @KafkaListener(topics = ShopApp.TOPIC, groupId = "shop")
    void onOrder(String event) {
    }

}
