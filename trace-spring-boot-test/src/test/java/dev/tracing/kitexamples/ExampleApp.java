package dev.tracing.kitexamples;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

/** An application without web or messaging, for the strict-mode examples. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class ExampleApp {

}
