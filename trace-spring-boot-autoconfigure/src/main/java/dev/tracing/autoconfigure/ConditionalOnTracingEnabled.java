package dev.tracing.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;

/**
 * Tracing is on: {@code trace.enabled} is not set to {@code false}. On each auto-configuration of
 * this starter beside its condition on {@link TraceAutoConfiguration}'s bean, which Spring can
 * only evaluate once it has read the whole class and its nested classes: this one it evaluates
 * first, so an application with tracing off pays for none of that reading at start-up.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Documented
@ConditionalOnProperty(prefix = "trace", name = "enabled", havingValue = "true", matchIfMissing = true)
@interface ConditionalOnTracingEnabled {

}
