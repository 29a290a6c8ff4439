package dev.tracing.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.tracing.internal.LogText;
import io.micrometer.tracing.exporter.FinishedSpan;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.Encoding;

/**
 * Sends spans as OTLP/HTTP protobuf ({@link OtlpProtoEncoder}) through a zipkin-reporter
 * {@link BytesMessageSender} set to {@link Encoding#PROTO3} and pointed at a collector's
 * {@code /v1/traces}: the sender POSTs one message's bytes as they are, with content type
 * {@code application/x-protobuf}, which is what OTLP/HTTP expects. One batch is one request, unless
 * it would exceed the sender's message limit: then it is halved until each part fits, and a span
 * that fits no request is dropped alone ({@link PartialExportFailure}). Spans a collector takes
 * the request of but rejects (OTLP's {@code partial_success}, read by {@link #checkAnswer} where
 * the sender reads accepted answers) are counted as failed too, and the collector's reason logged.
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

    /** Only the exception's type and message are written. */
    @Override
    public boolean readsErrorSummaryOnly() {
        return true;
    }

    @Override
    public void export(List<FinishedSpan> spans) throws IOException {
        ExportProgress progress = new ExportProgress(spans.size(), sender);
        send(spans, progress);
        progress.finish();
    }

    /**
     * Reads the body of an OTLP/HTTP answer that took a request: an {@code ExportTraceServiceResponse}
     * whose {@code partial_success} names how many of its spans the collector rejected, and why. For
     * {@link HttpSpanSender#create(String, Encoding, java.util.Map, java.time.Duration,
     * HttpSpanSender.AcceptedAnswerCheck)}. An empty body, one with no rejected span, or one that is
     * not such a message (a proxy's page) means that all were taken, as its status said.
     * @throws PartialExportFailure naming the collector's reason (cut, without control characters)
     * when it rejected spans
     */
    public static void checkAnswer(byte[] body, String endpoint) throws PartialExportFailure {
        PartialSuccess partial = PartialSuccess.read(body);
        if (partial == null || partial.rejectedSpans <= 0) {
            return;
        }
        int rejected = (int) Math.min(Integer.MAX_VALUE, partial.rejectedSpans);
        String reason = partial.errorMessage == null || partial.errorMessage.isBlank() ? "no reason given"
                : printable(partial.errorMessage);
        throw new PartialExportFailure(rejected, new ExportFailure("rejected",
                endpoint + " rejected " + rejected + " span(s) of a request it took: " + reason));
    }

    /** At most 200 characters of a backend's text, without control characters: it goes into a log line. */
    private static String printable(String text) {
        return LogText.withoutControls(text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }

    /**
     * The {@code partial_success} of an {@code ExportTraceServiceResponse} (field 1), with its
     * {@code rejected_spans} (field 1, int64) and {@code error_message} (field 2).
     */
    private record PartialSuccess(long rejectedSpans, String errorMessage) {

        /** The partial success in {@code body}, or null when it has none or is no such message. */
        static PartialSuccess read(byte[] body) {
            ProtoReader response = new ProtoReader(body, 0, body.length);
            PartialSuccess found = null;
            while (response.hasMore()) {
                long tag = response.varint();
                if (tag == ((1 << 3) | 2)) {
                    int length = response.length();
                    if (length < 0) {
                        return null;
                    }
                    found = readPartialSuccess(new ProtoReader(body, response.position, response.position + length));
                    if (found == null) {
                        return null;
                    }
                    response.position += length;
                }
                else if (!response.skip(tag)) {
                    return null;
                }
            }
            return found;
        }

        private static PartialSuccess readPartialSuccess(ProtoReader reader) {
            long rejected = 0;
            String message = null;
            while (reader.hasMore()) {
                long tag = reader.varint();
                if (tag == ((1 << 3) | 0)) {
                    rejected = reader.varint();
                }
                else if (tag == ((2 << 3) | 2)) {
                    int length = reader.length();
                    if (length < 0) {
                        return null;
                    }
                    message = new String(reader.bytes, reader.position, length, StandardCharsets.UTF_8);
                    reader.position += length;
                }
                else if (!reader.skip(tag)) {
                    return null;
                }
            }
            return reader.malformed ? null : new PartialSuccess(rejected, message);
        }

    }

    /** Reads protobuf's wire format from a part of an array; anything malformed sets {@link #malformed}. */
    private static final class ProtoReader {

        final byte[] bytes;

        int position;

        final int end;

        boolean malformed;

        ProtoReader(byte[] bytes, int position, int end) {
            this.bytes = bytes;
            this.position = position;
            this.end = end;
        }

        boolean hasMore() {
            return !malformed && position < end;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (position >= end) {
                    malformed = true;
                    return 0;
                }
                byte b = bytes[position++];
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            malformed = true;
            return 0;
        }

        /** A length-delimited field's length, or -1 when it does not fit in what is left. */
        int length() {
            long length = varint();
            if (malformed || length < 0 || length > end - position) {
                malformed = true;
                return -1;
            }
            return (int) length;
        }

        /** Skips the value of a field of another number; false for a wire type that cannot be skipped. */
        boolean skip(long tag) {
            switch ((int) (tag & 7)) {
                case 0 -> varint();
                case 1 -> position += 8;
                case 2 -> {
                    int length = length();
                    if (length >= 0) {
                        position += length;
                    }
                }
                case 5 -> position += 4;
                default -> malformed = true;
            }
            if (position > end) {
                malformed = true;
            }
            return !malformed;
        }

    }

    /**
     * Sends {@code spans} as one request, or, when that would exceed the sender's limit or the
     * backend refuses it as too large, each half on its own (a rare case: only spans of megabytes,
     * or a proxy's limit, get there, so halving costs nothing usually).
     */
    private void send(List<FinishedSpan> spans, ExportProgress progress) throws IOException {
        byte[] request = OtlpProtoEncoder.INSTANCE.encode(spans);
        // read each time: a sender may lower it after a request it sent was refused as too large
        int maxBytes = sender.messageMaxBytes();
        if (sender.messageSizeInBytes(request.length) > maxBytes) {
            if (spans.size() == 1) {
                progress.tooLarge(request.length, maxBytes);
                return;
            }
            sendHalves(spans, progress);
            return;
        }
        try {
            progress.send(sender, List.of(request));
        }
        catch (PartialExportFailure ex) {
            // the collector took the request and rejected some of its spans: the rest of the batch still goes
            int rejected = Math.min(ex.failedSpans(), spans.size());
            progress.refused(rejected, ex.getCause());
            progress.sent(spans.size() - rejected);
            return;
        }
        catch (IOException ex) {
            if (!ExportFailure.isContentTooLarge(ex)) {
                throw progress.stoppedBy(ex);
            }
            if (spans.size() == 1 || request.length <= HttpSpanSender.MIN_MESSAGE_MAX_BYTES) {
                // a request this small refused too: halves would be refused as well, one request each
                progress.refused(spans.size(), ex);
                return;
            }
            sendHalves(spans, progress);
            return;
        }
        progress.sent(spans.size());
    }

    private void sendHalves(List<FinishedSpan> spans, ExportProgress progress) throws IOException {
        int half = spans.size() / 2;
        send(spans.subList(0, half), progress);
        send(spans.subList(half, spans.size()), progress);
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
