package dev.tracing.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.micrometer.tracing.exporter.FinishedSpan;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;

/**
 * Sends spans to Zipkin as v2 JSON through a zipkin-reporter {@link BytesMessageSender} (the
 * starter's {@link HttpSpanSender} POSTing to {@code /api/v2/spans}, or any other sender), splitting
 * a batch into messages no larger than the sender accepts. A span that no message can hold is
 * dropped alone; a message the backend refuses as too large ({@link ExportFailure#CONTENT_TOO_LARGE})
 * goes again in halves; a failure after some messages were sent fails only the spans not yet sent
 * ({@link PartialExportFailure}).
 */
public final class ZipkinSpanExporter implements SpanExporter {

    private final BytesMessageSender sender;

    public ZipkinSpanExporter(BytesMessageSender sender) {
        if (sender.encoding() != Encoding.JSON) {
            throw new IllegalArgumentException("the sender must send JSON, not " + sender.encoding());
        }
        this.sender = sender;
    }

    @Override
    public String name() {
        return "zipkin";
    }

    /** Only the exception's type and message are written. */
    @Override
    public boolean readsErrorSummaryOnly() {
        return true;
    }

    @Override
    public void export(List<FinishedSpan> spans) throws IOException {
        ExportProgress progress = new ExportProgress(spans.size(), sender);
        List<byte[]> message = new ArrayList<>(spans.size());
        int messageBytes = 0;
        for (FinishedSpan span : spans) {
            byte[] encoded = ZipkinV2JsonEncoder.INSTANCE.encode(span).getBytes(StandardCharsets.UTF_8);
            // read each time: a sender may lower it after a message it sent was refused as too large
            int maxBytes = sender.messageMaxBytes();
            if (sender.messageSizeInBytes(encoded.length) > maxBytes) {
                // only this span is lost: the others are sent
                progress.tooLarge(encoded.length, maxBytes);
                continue;
            }
            if (!message.isEmpty() && sender.messageSizeInBytes(messageBytes + 1 + encoded.length) > maxBytes) {
                send(message, progress);
                message = new ArrayList<>();
                messageBytes = 0;
            }
            messageBytes += message.isEmpty() ? encoded.length : encoded.length + 1;
            message.add(encoded);
        }
        if (!message.isEmpty()) {
            send(message, progress);
        }
        progress.finish();
    }

    /**
     * Sends one message; one the backend refused as too large goes again in halves, and a span
     * refused alone is counted; any other failure stops the batch.
     */
    private void send(List<byte[]> message, ExportProgress progress) throws IOException {
        try {
            progress.send(sender, message);
            progress.sent(message.size());
        }
        catch (IOException ex) {
            if (!ExportFailure.isContentTooLarge(ex)) {
                throw progress.stoppedBy(ex);
            }
            if (message.size() == 1 || sender.messageSizeInBytes(message) <= HttpSpanSender.MIN_MESSAGE_MAX_BYTES) {
                // a message this small refused too: halves would be refused as well, one request each
                progress.refused(message.size(), ex);
                return;
            }
            int half = message.size() / 2;
            send(message.subList(0, half), progress);
            send(message.subList(half, message.size()), progress);
        }
    }

    @Override
    public void close() {
        try {
            sender.close();
        }
        catch (IOException ex) {
            // nothing left to send
        }
    }

}
