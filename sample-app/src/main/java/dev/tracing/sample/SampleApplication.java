package dev.tracing.sample;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.context.annotation.Bean;

/** A small WebFlux service that shows what the trace starter records. */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

    /**
     * Spring Boot configures a RestTemplateBuilder only in servlet applications; this reactive
     * sample builds one the same way, with every RestTemplateCustomizer (the tracing one included).
     */
    @Bean
    RestTemplateBuilder restTemplateBuilder(ObjectProvider<RestTemplateCustomizer> customizers) {
        return new RestTemplateBuilder().customizers(customizers.orderedStream().toList());
    }

}
