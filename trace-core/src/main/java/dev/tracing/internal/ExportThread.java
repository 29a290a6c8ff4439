package dev.tracing.internal;

/**
 * A thread that sends spans away (an exporter's or a reporter's worker): work on it starts no
 * trace of its own. An exporter that sends with a client the starter traces would otherwise
 * record a span per export, export that span, and so on for as long as the application runs.
 * A span whose parent is given (a child of a current span) is still recorded.
 */
public final class ExportThread extends Thread {

    /** A daemon thread named {@code name} that runs {@code task}. */
    public ExportThread(Runnable task, String name) {
        super(task, name);
        setDaemon(true);
    }

    /** Whether the calling thread is one that sends spans away. */
    public static boolean isCurrent() {
        return Thread.currentThread() instanceof ExportThread;
    }

}
