package dev.tracing.compatibility;

/** Spring MVC with actuator and Spring Boot's tracing module. */
class BootTracingServletTests extends ServletExchangeSpansTests {

}
