package dev.tracing.sample;

import java.util.Map;
import java.util.function.Consumer;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Requests to the sample app, shared by its tests. */
final class SampleRequests {

    private SampleRequests() {
    }

    /** GETs {@code uri}, expects 200 and returns the JSON object answered. */
    static Map<String, Object> getJson(WebTestClient client, String uri) {
        return getJson(client, uri, headers -> {
        });
    }

    /** GETs {@code uri} with the given request headers, expects 200 and returns the JSON object answered. */
    static Map<String, Object> getJson(WebTestClient client, String uri, Consumer<HttpHeaders> headers) {
        return client.get()
            .uri(uri)
            .headers(headers)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
            })
            .returnResult()
            .getResponseBody();
    }

}
