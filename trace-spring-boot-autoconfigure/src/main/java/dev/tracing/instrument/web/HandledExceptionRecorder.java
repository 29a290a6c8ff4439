package dev.tracing.instrument.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.core.Ordered;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/**
 * Keeps on a traced request the exception Spring MVC hands to its exception resolvers, so that
 * the {@link TraceServletFilter} records it whichever resolver answers it. Resolves nothing.
 *
 * <p>Design notes: Spring MVC leaves a resolved exception on the request
 * ({@code DispatcherServlet.EXCEPTION_ATTRIBUTE}) only when the handler wrote the body itself
 * ({@code @ResponseBody}, {@code ResponseEntity}, {@code ProblemDetail}); an exception handler or
 * resolver that renders a view (an error page, {@code SimpleMappingExceptionResolver}) has it
 * exposed as {@code jakarta.servlet.error.exception} only while the view renders, and cleared
 * after, before the filter ends the span. Running first among the resolvers, this one sees both.
 */
public final class HandledExceptionRecorder implements HandlerExceptionResolver, Ordered {

    @Override
    public @Nullable ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response,
            @Nullable Object handler, Exception ex) {
        if (request.getAttribute(TraceServletFilter.SPAN_ATTRIBUTE) != null) {
            request.setAttribute(TraceServletFilter.HANDLED_EXCEPTION_ATTRIBUTE, ex);
        }
        return null;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

}
