package dev.tracing.instrument.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import dev.tracing.instrument.sampling.SamplingRules;
import dev.tracing.internal.TraceHeaderNames;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.listener.TimestampedException;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.KafkaUtils;

/**
 * The one Kafka span policy: how PRODUCER and CONSUMER spans are parented, named and tagged, and
 * how trace headers are read from and written to records. The producer wrapper and the listener
 * interceptors only call it at the right moments.
 *
 * <p>Names and tags follow the OpenTelemetry messaging conventions ({@code send orders},
 * {@code process orders}, {@code messaging.system=kafka}, ...). Record keys and values are never
 * recorded.
 *
 * <p>Design notes: instrumentation talks to the tracer only through the Micrometer Tracing API,
 * which has no "extract a context" call, only {@link Propagator#extract} returning a span
 * builder. Where a batch span needs a link to a record's context without a span per record, a
 * child span is started and abandoned (never reported) and the link names its parent. That
 * costs one span object per record on the batch path only, and only for records that carry a
 * trace header: records without one never consult the sampler (a malformed header still does,
 * as it starts a new trace).
 */
public final class KafkaSpanPolicy {

    static final String SYSTEM = "kafka";

    private static final Log logger = LogFactory.getLog(KafkaSpanPolicy.class);

    /**
     * Reads the last header of a name, as Kafka clients do, and every header of a name for the
     * formats that must see repeats: two different {@code traceparent} headers on one record
     * contradict each other, so, as over HTTP, the record starts a new trace.
     */
    static final Propagator.Getter<Headers> GETTER = new Propagator.Getter<>() {

        @Override
        public String get(Headers headers, String key) {
            // the spelling records carry first, then the one older writers used
            String other = TraceHeaderNames.b3MultiAsWritten(key);
            Header header = other != null ? headers.lastHeader(other) : null;
            if (header == null) {
                header = headers.lastHeader(key);
            }
            return header != null ? text(header) : null;
        }

        @Override
        public Iterable<String> getAll(Headers headers, String key) {
            String other = TraceHeaderNames.b3MultiAsWritten(key);
            Iterable<Header> named = other != null ? headers.headers(other) : null;
            if (named == null || !named.iterator().hasNext()) {
                named = headers.headers(key);
            }
            List<String> values = null;
            for (Header header : named) {
                String value = text(header);
                if (value != null) {
                    if (values == null) {
                        values = new ArrayList<>(1);
                    }
                    values.add(value);
                }
            }
            return values != null ? values : List.of();
        }

        private String text(Header header) {
            byte[] value = header.value();
            return value != null ? new String(value, StandardCharsets.UTF_8) : null;
        }

    };

    /**
     * Sets a header as HTTP's setters do, in place of any of that name: the trace headers are removed
     * before the context is written anyway, and a baggage entry's own header ({@code tenant}) on a
     * forwarded record would otherwise be carried once more per hop.
     */
    private static final Propagator.Setter<Headers> SETTER = (headers, key, value) -> {
        String name = Objects.requireNonNullElse(TraceHeaderNames.b3MultiAsWritten(key), key);
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    };

    /** A header name no record carries, removed to learn whether a record's headers can be written. */
    private static final String UNUSED_HEADER = "dev.tracing.writable";

    /**
     * Header names that carry a trace context in any consumed format; records without one never
     * start a probe span. Baggage alone carries no context to link to.
     */
    private static final List<String> TRACE_HEADERS = List.of("traceparent", "b3", "x-b3-traceid", "uber-trace-id");

    private final Tracer tracer;

    private final Propagator propagator;

    private final boolean batchRecordSpans;

    private final Set<String> traceHeaders;

    /** The header names removed from a record before ours are written, in both spellings. */
    private final String[] replacedHeaders;

    private final LongAdder failures = new LongAdder();

    private final SamplingRules samplingRules;

    private volatile boolean failureLogged;

    public KafkaSpanPolicy(Tracer tracer, Propagator propagator, boolean batchRecordSpans) {
        this(tracer, propagator, batchRecordSpans, SamplingRules.NONE);
    }

    /** A policy whose listener spans that start a trace are decided by {@code samplingRules} for their topic. */
    public KafkaSpanPolicy(Tracer tracer, Propagator propagator, boolean batchRecordSpans,
            SamplingRules samplingRules) {
        this.samplingRules = samplingRules;
        this.tracer = tracer;
        this.propagator = propagator;
        this.batchRecordSpans = batchRecordSpans;
        Set<String> names = new HashSet<>(TRACE_HEADERS);
        names.addAll(propagator.fields());
        names.remove("baggage");
        names.removeIf(name -> name.startsWith("uberctx-"));
        for (String name : List.copyOf(names)) {
            String other = TraceHeaderNames.b3MultiAsWritten(name);
            if (other != null) {
                names.add(other);
            }
        }
        this.traceHeaders = Set.copyOf(names);
        // a forwarded or dead-lettered record keeps its upstream headers
        Set<String> replaced = new LinkedHashSet<>(TraceHeaderNames.replacedBy(propagator.fields()));
        for (String name : List.copyOf(replaced)) {
            String other = TraceHeaderNames.b3MultiAsWritten(name);
            if (other != null) {
                replaced.add(other);
            }
        }
        this.replacedHeaders = replaced.toArray(new String[0]);
    }

    Tracer tracer() {
        return tracer;
    }

    boolean batchRecordSpans() {
        return batchRecordSpans;
    }

    /**
     * Starts the PRODUCER span of a record and writes its headers, replacing every trace context
     * header of a format we know (and baggage when we write it); other headers are kept. The
     * parent is the current span, except for a dead letter of a record of the batch whose span is
     * current ({@link #deadLetterOfABatchRecord}); without one, the context already in the record's
     * headers (a forwarded or dead-lettered record), else a new trace. Returns null when tracing
     * failed; the record is then sent as it is.
     */
    Span startProducerSpan(ProducerRecord<?, ?> record) {
        try {
            TraceContext parent = tracer.currentTraceContext().context();
            Span.Builder builder = parent != null ? deadLetterOfABatchRecord(record, parent) : null;
            if (builder == null) {
                builder = parent != null ? tracer.spanBuilder().setParent(parent)
                        : propagator.extract(record.headers(), GETTER);
            }
            Span span = builder.kind(Span.Kind.PRODUCER)
                .name("send " + record.topic())
                .tag("messaging.system", SYSTEM)
                .tag("messaging.operation.type", "send")
                .tag("messaging.destination.name", record.topic())
                .remoteServiceName(SYSTEM)
                .start();
            if (record.partition() != null) {
                span.tag("messaging.destination.partition.id", String.valueOf(record.partition()));
            }
            inject(span, record);
            return span;
        }
        catch (RuntimeException ex) {
            failed("starting a producer span", ex);
            return null;
        }
    }

    /**
     * The span a dead letter of one record of a failed batch starts from: the batch's span is current
     * while the error handler publishes it, but the dead letter belongs to its record's trace. A child
     * of the record's own span ({@code batch-record-spans}), else of the context in the headers the
     * dead letter copied from its record, linked to the batch's span either way; null (the current span
     * is the parent) unless Spring Kafka's dead-letter headers name a record of the batch whose span is
     * current (a batch listener forwarding a dead letter it consumed stays its batch's child), and
     * unless the record has a span or carried a trace.
     */
    private Span.Builder deadLetterOfABatchRecord(ProducerRecord<?, ?> record, TraceContext current) {
        Header originalTopic = record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_TOPIC);
        if (originalTopic == null) {
            return null;
        }
        ListenerSpans listener = ListenerSpans.PerThread.current();
        if (listener == null || !listener.span().context().equals(current)) {
            return null;
        }
        Header partition = record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_PARTITION);
        Header offset = record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET);
        if (originalTopic.value() == null || partition == null || partition.value() == null
                || partition.value().length != Integer.BYTES || offset == null || offset.value() == null
                || offset.value().length != Long.BYTES) {
            return null;
        }
        String topic = new String(originalTopic.value(), StandardCharsets.UTF_8);
        int partitionNumber = ByteBuffer.wrap(partition.value()).getInt();
        long offsetNumber = ByteBuffer.wrap(offset.value()).getLong();
        if (!listener.batchHolds(topic, partitionNumber, offsetNumber)) {
            return null;
        }
        Span own = listener.recordSpan(topic, partitionNumber, offsetNumber);
        Span.Builder builder;
        if (own != null && !own.isNoop()) {
            builder = tracer.spanBuilder().setParent(own.context());
        }
        else if (hasTraceHeader(record.headers())) {
            builder = propagator.extract(record.headers(), GETTER);
        }
        else {
            return null;
        }
        return builder.addLink(new Link(current));
    }

    /**
     * Returns {@code record}, or, when its headers are read-only, a copy of it with headers of its
     * own: the producer seals a record's headers as it sends it, so a record sent again (a retry
     * around the send) would otherwise go out with the earlier send's trace headers, making the
     * consumer a child of that send's span. Only a write tells, so a header that no record has is
     * removed.
     */
    static <K, V> ProducerRecord<K, V> withWritableHeaders(ProducerRecord<K, V> record) {
        try {
            record.headers().remove(UNUSED_HEADER);
            return record;
        }
        catch (IllegalStateException sealed) {
            return new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(), record.key(),
                    record.value(), new RecordHeaders(record.headers().toArray()));
        }
        catch (RuntimeException ex) {
            return record;
        }
    }

    /**
     * Writes {@code span}'s context into the record's headers, replacing every trace context
     * header of a format we know; a record whose headers are read-only (see
     * {@link #withWritableHeaders}) is sent without ours.
     */
    void inject(Span span, ProducerRecord<?, ?> record) {
        try {
            Headers headers = record.headers();
            for (String name : replacedHeaders) {
                headers.remove(name);
            }
            propagator.inject(span.context(), headers, SETTER);
        }
        catch (RuntimeException ex) {
            // read-only headers of a record that was already sent: send it without ours
            failed("writing trace headers", ex);
        }
    }

    /** Tags the acknowledged partition and offset, or the error, and ends the span. */
    void endProducerSpan(Span span, RecordMetadata metadata, Throwable error) {
        try {
            if (error != null) {
                span.error(error);
            }
            else if (metadata != null) {
                span.tag("messaging.destination.partition.id", String.valueOf(metadata.partition()));
                if (metadata.hasOffset()) {
                    span.tag("messaging.kafka.offset", String.valueOf(metadata.offset()));
                }
            }
            span.end();
        }
        catch (RuntimeException ex) {
            failed("ending a producer span", ex);
        }
    }

    /**
     * Starts the CONSUMER span of one record: a child of the context in its headers, or of a new
     * trace when there is none or it is malformed.
     */
    Span startRecordSpan(ConsumerRecord<?, ?> record) {
        Span.Builder builder = propagator.extract(record.headers(), GETTER);
        samplingRules.applyToDestination(builder, record.topic());
        Span span = consumerSpan(builder, record.topic()).tag("messaging.destination.partition.id",
                String.valueOf(record.partition()))
            .tag("messaging.kafka.offset", String.valueOf(record.offset()))
            .start();
        return span;
    }

    /**
     * Starts the CONSUMER span of a batch: a new trace, linked to the context of every record that
     * carries one. {@code recordSpans} receives one span per record when
     * {@link #batchRecordSpans()} is on.
     */
    Span startBatchSpan(Iterable<? extends ConsumerRecord<?, ?>> records, int count, List<Span> recordSpans) {
        Span.Builder batch = tracer.spanBuilder().setNoParent();
        String topic = null;
        boolean oneTopic = true;
        for (ConsumerRecord<?, ?> record : records) {
            if (topic == null) {
                topic = record.topic();
            }
            else if (oneTopic && !topic.equals(record.topic())) {
                oneTopic = false;
            }
            int spansBefore = recordSpans != null ? recordSpans.size() : 0;
            try {
                Span child = null;
                if (recordSpans != null) {
                    child = startRecordSpan(record);
                    recordSpans.add(child);
                }
                else if (hasTraceHeader(record.headers())) {
                    child = propagator.extract(record.headers(), GETTER).start();
                    child.abandon();
                }
                TraceContext link = child != null ? parentOf(child.context()) : null;
                if (link != null) {
                    batch.addLink(new Link(link));
                }
            }
            catch (RuntimeException ex) {
                // one record's headers must not cost the batch its span
                failed("linking a record to its batch", ex);
                if (recordSpans != null && recordSpans.size() == spansBefore) {
                    // a place holder keeps each record at its index (a failure names its record by index)
                    recordSpans.add(Span.NOOP);
                }
            }
        }
        consumerSpan(batch, oneTopic ? topic : null);
        if (oneTopic) {
            samplingRules.applyToDestination(batch, topic);
        }
        batch.tag("messaging.batch.message_count", String.valueOf(count));
        return batch.start();
    }

    /** Ends a CONSUMER span, with the listener's failure when {@code error} is one; never throws. */
    void endConsumerSpan(Span span, Throwable error) {
        try {
            if (error != null) {
                error(span, error);
            }
            span.end();
        }
        catch (RuntimeException ex) {
            failed("ending a consumer span", ex);
        }
    }

    /** Marks a listener failure on a span, unwrapping the container's wrapper exception. */
    void error(Span span, Throwable error) {
        span.error(thrownByTheListener(error));
    }

    /**
     * The exception the listener threw, without Spring Kafka's wrappers: the container's
     * {@code ListenerExecutionFailedException}, the retry topics' {@code TimestampedException}
     * ("Exception thrown at ..."), a batch's {@code BatchListenerFailedException}.
     */
    static Throwable thrownByTheListener(Throwable error) {
        Throwable cause = error;
        for (int i = 0; i < 4 && cause.getCause() != null && (cause instanceof ListenerExecutionFailedException
                || cause instanceof TimestampedException || cause instanceof BatchListenerFailedException); i++) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** How many times tracing a record failed (and the record was processed without it). */
    public long failureCount() {
        return failures.sum();
    }

    void failed(String what, RuntimeException ex) {
        // tracing never throws into the application: count it, log it once at debug
        failures.increment();
        if (!failureLogged) {
            failureLogged = true;
            logger.debug("Kafka tracing failed " + what + "; the record is processed without it", ex);
        }
    }

    private Span.Builder consumerSpan(Span.Builder builder, String topic) {
        builder.kind(Span.Kind.CONSUMER)
            .name(topic != null ? "process " + topic : "process")
            .tag("messaging.system", SYSTEM)
            .tag("messaging.operation.type", "process")
            .remoteServiceName(SYSTEM);
        if (topic != null) {
            builder.tag("messaging.destination.name", topic);
        }
        String group = KafkaUtils.getConsumerGroupId();
        if (group != null) {
            builder.tag("messaging.consumer.group.name", group);
        }
        return builder;
    }

    private boolean hasTraceHeader(Headers headers) {
        for (Header header : headers) {
            if (traceHeaders.contains(header.key())) {
                return true;
            }
        }
        return false;
    }

    private TraceContext parentOf(TraceContext child) {
        String parentId = child.parentId();
        if (parentId == null) {
            return null;
        }
        return tracer.traceContextBuilder()
            .traceId(child.traceId())
            .spanId(parentId)
            .sampled(child.sampled())
            .build();
    }

}
