package dev.tracing.export;

import java.io.IOException;

/**
 * A batch a {@link SpanExporter} sent only in part: {@link #failedSpans()} of its spans were not
 * accepted, the others were. The cause says why the others failed (an {@link ExportFailure} is
 * logged by its kind). The {@link BatchingSpanReporter} counts the two parts apart.
 */
public final class PartialExportFailure extends IOException {

    private final int failedSpans;

    /**
     * @param failedSpans how many of the batch's spans the backend did not accept, at least one
     * @param cause why they were not accepted
     */
    public PartialExportFailure(int failedSpans, IOException cause) {
        super(cause.getMessage(), cause);
        if (failedSpans < 1) {
            throw new IllegalArgumentException("failedSpans must be at least 1, not " + failedSpans);
        }
        this.failedSpans = failedSpans;
    }

    /** How many of the batch's spans were not accepted. */
    public int failedSpans() {
        return failedSpans;
    }

    @Override
    public synchronized IOException getCause() {
        return (IOException) super.getCause();
    }

}
