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
 * {@code application/x-protobuf}, which is what OTLP/HTTP expects. One batch is one request.
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
        sender.send(List.of(OtlpProtoEncoder.INSTANCE.encode(spans)));
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
