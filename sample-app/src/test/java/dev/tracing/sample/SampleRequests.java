package dev.tracing.sample;

import java.util.Map;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Requests to the sample app, shared by its tests. */
final class SampleRequests {

    private SampleRequests() {
    }

    /** GETs {@code uri}, expects 200 and returns the JSON object answered. */
    static Map<String, Object> getJson(WebTestClient client, String uri) {
        return client.get()
            .uri(uri)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
            })
            .returnResult()
            .getResponseBody();
    }

}
