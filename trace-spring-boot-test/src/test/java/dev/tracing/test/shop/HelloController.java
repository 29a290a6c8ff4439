package dev.tracing.test.shop;

import io.micrometer.tracing.Tracer;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.ResponseStatus;
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

    @GetMapping("/hello/{name}")
    String helloTo(@PathVariable String name) {
        if ("nobody".equals(name)) {
            throw new NobodyThere();
        }
        return "hello " + name;
    }

    /** Answered 404 from its annotation, by Spring Boot's error handling. */
    @ResponseStatus(HttpStatus.NOT_FOUND)
    static class NobodyThere extends RuntimeException {

        NobodyThere() {
            super("nobody there");
        }

    }

}
