package dev.tracing.export;

import java.io.IOException;
import java.util.List;

import zipkin2.reporter.BytesMessageSender;

/**
 * What the export of one batch has done so far, for an exporter that sends it in several
 * messages: the spans sent, those no message could hold, and those the backend refused while
 * taking the rest (a collector's partial success, a message of one span refused as too large).
 */
final class ExportProgress {

    private final int batchSize;

    private int sent;

    private int tooLarge;

    private int largest;

    private int maxBytes;

    private int refused;

    /** The first refusal, with the first of each other kind suppressed in it. */
    private IOException refusal;

    /** The deadline of the batch's sends, when the sender takes one; 0 otherwise. */
    private final long deadline;

    /**
     * Starts the export of {@code batchSize} spans through {@code sender}: when it is an
     * {@link HttpSpanSender}, all its messages share one timeout from now.
     */
    ExportProgress(int batchSize, BytesMessageSender sender) {
        this.batchSize = batchSize;
        this.deadline = sender instanceof HttpSpanSender http ? http.deadlineFromNow() : 0L;
    }

    /** Sends one message of the batch, within the batch's deadline where the sender takes one. */
    void send(BytesMessageSender sender, List<byte[]> message) throws IOException {
        if (sender instanceof HttpSpanSender http) {
            http.send(message, deadline);
        }
        else {
            sender.send(message);
        }
    }

    void sent(int spans) {
        sent += spans;
    }

    /** A span of {@code bytes} that a message of at most {@code maxBytes} cannot hold. */
    void tooLarge(int bytes, int maxBytes) {
        tooLarge++;
        largest = Math.max(largest, bytes);
        this.maxBytes = maxBytes;
    }

    /** {@code spans} the backend refused, {@code why}, while the rest of the batch still goes. */
    void refused(int spans, IOException why) {
        refused += spans;
        if (refusal == null) {
            refusal = why;
        }
        else if (!sameKind(refusal, why)) {
            for (Throwable suppressed : refusal.getSuppressed()) {
                if (sameKind(suppressed, why)) {
                    return;
                }
            }
            refusal.addSuppressed(why);
        }
    }

    private static boolean sameKind(Throwable one, Throwable other) {
        return one instanceof ExportFailure a && other instanceof ExportFailure b ? a.kind().equals(b.kind())
                : one.getClass() == other.getClass();
    }

    /**
     * What to throw for {@code failure}, which stops the batch: the failure itself when nothing was
     * sent, else a partial failure of the spans not sent.
     */
    IOException stoppedBy(IOException failure) {
        return sent == 0 ? failure : new PartialExportFailure(batchSize - sent, failure);
    }

    /**
     * Ends the batch.
     * @throws PartialExportFailure when spans were too large or refused: the first refusal as its
     * cause (other kinds suppressed in it), else the size failure
     */
    void finish() throws PartialExportFailure {
        if (tooLarge + refused == 0) {
            return;
        }
        IOException sizeFailure = tooLarge > 0 ? new ExportFailure("span too large",
                "a span of " + largest + " bytes exceeds the sender's message limit of " + maxBytes + " bytes") : null;
        IOException cause = refusal != null ? refusal : sizeFailure;
        if (cause != sizeFailure && sizeFailure != null) {
            cause.addSuppressed(sizeFailure);
        }
        throw new PartialExportFailure(tooLarge + refused, cause);
    }

}
