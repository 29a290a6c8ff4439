package dev.tracing.testing;

import java.lang.reflect.Field;

import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

/** What a {@code WebClient.Builder} holds, which it does not tell. */
public final class WebClientBuilders {

    private WebClientBuilders() {
    }

    /** Returns the connector set on {@code builder}, null when none was (WebClient then makes its own). */
    public static ClientHttpConnector connectorOf(WebClient.Builder builder) {
        try {
            Field field = builder.getClass().getDeclaredField("connector");
            field.setAccessible(true);
            return (ClientHttpConnector) field.get(builder);
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("WebClient's builder keeps its connector elsewhere now", ex);
        }
    }

}
