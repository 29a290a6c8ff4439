package dev.tracing.instrument.annotation;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.common.annotation.ValueExpressionResolver;

import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.SimpleEvaluationContext;

/**
 * Evaluates {@code @SpanTag(expression = ...)} as a read-only SpEL expression on the annotated
 * parameter, for applications without Spring Boot's observation module (which provides its
 * own). A failing expression yields no value rather than an exception in the application's call.
 *
 * <p>Design notes: read-only data binding only (no method calls on arbitrary types, no type
 * references), and each expression is parsed once.
 */
public final class SpelValueExpressionResolver implements ValueExpressionResolver {

    private static final EvaluationContext CONTEXT = SimpleEvaluationContext.forReadOnlyDataBinding().build();

    private final SpelExpressionParser parser = new SpelExpressionParser();

    private final Map<String, Expression> expressions = new ConcurrentHashMap<>();

    @Override
    public String resolve(String expression, Object parameter) {
        try {
            return expressions.computeIfAbsent(expression, parser::parseExpression)
                .getValue(CONTEXT, parameter, String.class);
        }
        catch (RuntimeException ex) {
            return null;
        }
    }

}
