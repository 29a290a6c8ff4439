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
 * dropped alone; a failure after some messages were sent fails only the spans not yet sent
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
        int maxBytes = sender.messageMaxBytes();
        List<byte[]> message = new ArrayList<>(spans.size());
        int messageBytes = 0;
        int sent = 0;
        int tooLarge = 0;
        int largest = 0;
        for (FinishedSpan span : spans) {
            byte[] encoded = ZipkinV2JsonEncoder.INSTANCE.encode(span).getBytes(StandardCharsets.UTF_8);
            if (sender.messageSizeInBytes(encoded.length) > maxBytes) {
                // only this span is lost: the others are sent
                tooLarge++;
                largest = Math.max(largest, encoded.length);
                continue;
            }
            if (!message.isEmpty() && sender.messageSizeInBytes(messageBytes + 1 + encoded.length) > maxBytes) {
                sent += send(message, sent, spans.size());
                message = new ArrayList<>();
                messageBytes = 0;
            }
            messageBytes += message.isEmpty() ? encoded.length : encoded.length + 1;
            message.add(encoded);
        }
        if (!message.isEmpty()) {
            send(message, sent, spans.size());
        }
        if (tooLarge > 0) {
            throw new PartialExportFailure(tooLarge, tooLarge(largest, maxBytes));
        }
    }

    /** Sends one message; on a failure, says how many of the batch's spans were not sent. */
    private int send(List<byte[]> message, int sentBefore, int batchSize) throws IOException {
        try {
            sender.send(message);
            return message.size();
        }
        catch (IOException ex) {
            if (sentBefore == 0) {
                throw ex;
            }
            throw new PartialExportFailure(batchSize - sentBefore, ex);
        }
    }

    /** The failure of a span that no message can hold. */
    static ExportFailure tooLarge(int bytes, int maxBytes) {
        return new ExportFailure("span too large",
                "a span of " + bytes + " bytes exceeds the sender's message limit of " + maxBytes + " bytes");
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
