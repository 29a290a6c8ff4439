package dev.tracing.export;

import java.io.IOException;
import java.util.List;

import io.micrometer.tracing.exporter.FinishedSpan;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;

/**
 * Sends spans as OTLP/HTTP protobuf ({@link OtlpProtoEncoder}) through a zipkin-reporter
 * {@link BytesMessageSender} set to {@link Encoding#PROTO3} and pointed at a collector's
 * {@code /v1/traces}: the sender POSTs one message's bytes as they are, with content type
 * {@code application/x-protobuf}, which is what OTLP/HTTP expects. One batch is one request, unless
 * it would exceed the sender's message limit: then it is halved until each part fits, and a span
 * that fits no request is dropped alone ({@link PartialExportFailure}).
 */
public final class OtlpSpanExporter implements SpanExporter {

    private final BytesMessageSender sender;

    public OtlpSpanExporter(BytesMessageSender sender) {
        if (sender.encoding() != Encoding.PROTO3) {
            throw new IllegalArgumentException("the sender must send protobuf, not " + sender.encoding());
        }
        this.sender = sender;
    }

    @Override
    public String name() {
        return "otlp";
    }

    @Override
    public void export(List<FinishedSpan> spans) throws IOException {
        Progress progress = new Progress(spans.size(), sender.messageMaxBytes());
        send(spans, progress);
        if (progress.tooLarge > 0) {
            throw new PartialExportFailure(progress.tooLarge,
                    ZipkinSpanExporter.tooLarge(progress.largest, progress.maxBytes));
        }
    }

    /**
     * Sends {@code spans} as one request, or, when that would exceed the sender's limit, each half
     * on its own (a rare case: only spans of megabytes get there, so halving costs nothing usually).
     */
    private void send(List<FinishedSpan> spans, Progress progress) throws IOException {
        byte[] request = OtlpProtoEncoder.INSTANCE.encode(spans);
        if (sender.messageSizeInBytes(request.length) > progress.maxBytes) {
            if (spans.size() == 1) {
                progress.tooLarge++;
                progress.largest = Math.max(progress.largest, request.length);
                return;
            }
            int half = spans.size() / 2;
            send(spans.subList(0, half), progress);
            send(spans.subList(half, spans.size()), progress);
            return;
        }
        try {
            sender.send(List.of(request));
        }
        catch (IOException ex) {
            if (progress.sent == 0) {
                throw ex;
            }
            throw new PartialExportFailure(progress.batchSize - progress.sent, ex);
        }
        progress.sent += spans.size();
    }

    /** What one batch's export has done so far. */
    private static final class Progress {

        final int batchSize;

        final int maxBytes;

        int sent;

        int tooLarge;

        int largest;

        Progress(int batchSize, int maxBytes) {
            this.batchSize = batchSize;
            this.maxBytes = maxBytes;
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
