package dev.tracing.test.shop;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** The stock level of an item. */
@RestController
class StockController {

    @GetMapping("/stock/{id}")
    String stock(@PathVariable String id) {
        return "12";
    }

}
