package dev.tracing.instrument.task.other;

import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.AsyncConfigurer;

/**
 * An {@code AsyncConfigurer} base class a shared library provides, in a package of its own, with a
 * package-private listener that reads an injected field: a subclass proxy in the application's
 * package cannot override it.
 */
public abstract class LibraryAsyncConfigurer implements AsyncConfigurer {

    public static final AtomicReference<String> heard = new AtomicReference<>();

    @Value("${library.greeting:seen}")
    String greeting;

    @EventListener(ContextRefreshedEvent.class)
    void refreshed() {
        heard.set(greeting.toUpperCase());
    }

    @Override
    public Executor getAsyncExecutor() {
        return Executors.newSingleThreadExecutor();
    }

}
