package dev.tracing.autoconfigure;

/** What Spring Boot's failure analysis reports to the user when start-up fails: the chain of messages. */
final class StartupFailures {

    private StartupFailures() {
    }

    static String text(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            text.append(t.getMessage()).append('\n');
        }
        return text.toString();
    }

}
