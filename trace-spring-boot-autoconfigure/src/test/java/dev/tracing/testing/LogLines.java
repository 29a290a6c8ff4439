package dev.tracing.testing;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

/**
 * Captures the lines one logger writes with the trace and span id in their MDC, read when each
 * line is logged (Logback would otherwise read the MDC lazily, on another thread).
 */
public final class LogLines extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    /** One captured log line. */
    public record Line(String message, String thread, String traceId, String spanId) {
    }

    private final ConcurrentLinkedQueue<Line> lines = new ConcurrentLinkedQueue<>();

    private final Logger logger;

    private LogLines(Logger logger) {
        this.logger = logger;
    }

    /** Starts capturing what {@code loggerName} logs; close to stop. */
    public static LogLines capture(String loggerName) {
        Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
        LogLines capture = new LogLines(logger);
        capture.setContext(logger.getLoggerContext());
        capture.start();
        logger.addAppender(capture);
        return capture;
    }

    @Override
    protected void append(ILoggingEvent event) {
        lines.add(new Line(event.getFormattedMessage(), event.getThreadName(), event.getMDCPropertyMap().get("traceId"),
                event.getMDCPropertyMap().get("spanId")));
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        stop();
    }

}
