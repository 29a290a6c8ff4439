package dev.tracing.compatibility;

/** Spring MVC with actuator, without Spring Boot's tracing module. */
class ActuatorServletTests extends ServletExchangeSpansTests {

}
