package dev.tracing.test.shop;

import io.micrometer.tracing.Tracer;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Tags the request's span through the Micrometer API. */
@RestController
class HelloController {

    private final Tracer tracer;

    HelloController(Tracer tracer) {
        this.tracer = tracer;
    }

    @GetMapping("/hello")
    String hello() {
        tracer.currentSpan().tag("greeting", "hello");
        return "hello";
    }

}
