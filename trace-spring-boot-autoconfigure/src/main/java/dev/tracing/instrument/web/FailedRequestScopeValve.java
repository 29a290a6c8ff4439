package dev.tracing.instrument.web;

import java.io.IOException;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

/**
 * A Tomcat context valve, so around the servlet's filter chain and the line Tomcat's wrapper
 * logs when an exception escapes it: a request that failed keeps its span current (thread-local
 * and MDC) until that line is written. See {@link FailedRequestScope}.
 */
public final class FailedRequestScopeValve extends ValveBase {

    public FailedRequestScopeValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        FailedRequestScope scope = FailedRequestScope.enter();
        try {
            getNext().invoke(request, response);
        }
        finally {
            scope.exit();
        }
    }

}
