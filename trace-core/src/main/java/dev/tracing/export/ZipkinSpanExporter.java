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
 * a batch into messages no larger than the sender accepts.
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

    @Override
    public void export(List<FinishedSpan> spans) throws IOException {
        int maxBytes = sender.messageMaxBytes();
        List<byte[]> message = new ArrayList<>(spans.size());
        int messageBytes = 0;
        for (FinishedSpan span : spans) {
            byte[] encoded = ZipkinV2JsonEncoder.INSTANCE.encode(span).getBytes(StandardCharsets.UTF_8);
            if (sender.messageSizeInBytes(encoded.length) > maxBytes) {
                throw new IOException("a span of " + encoded.length + " bytes exceeds the sender's message limit");
            }
            if (!message.isEmpty() && sender.messageSizeInBytes(messageBytes + 1 + encoded.length) > maxBytes) {
                sender.send(message);
                message = new ArrayList<>();
                messageBytes = 0;
            }
            messageBytes += message.isEmpty() ? encoded.length : encoded.length + 1;
            message.add(encoded);
        }
        if (!message.isEmpty()) {
            sender.send(message);
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
