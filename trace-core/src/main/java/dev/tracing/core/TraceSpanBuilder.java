package dev.tracing.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;

/**
 * Collects what a span starts with. Without {@link #setParent} or {@link #setNoParent()} the
 * span is a child of the current span, as {@link io.micrometer.tracing.Tracer#nextSpan()} is.
 */
final class TraceSpanBuilder implements Span.Builder, RuleSampling {

    private final TraceTracer tracer;

    private TraceContext parent;

    private boolean noParent;

    private String name;

    private Span.Kind kind;

    private List<String> tags;

    private List<String> events;

    private Throwable error;

    private String remoteServiceName;

    private String remoteIp;

    private int remotePort;

    private long startMicros;

    private List<Link> links;

    private Sampler rootSampler;

    private String rootSamplerName;

    TraceSpanBuilder(TraceTracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public Span.Builder sampledBy(Sampler sampler, String name) {
        this.rootSampler = sampler;
        this.rootSamplerName = name;
        return this;
    }

    @Override
    public Span.Builder setParent(TraceContext context) {
        this.parent = context;
        this.noParent = context == null;
        return this;
    }

    @Override
    public Span.Builder setNoParent() {
        this.parent = null;
        this.noParent = true;
        return this;
    }

    @Override
    public Span.Builder name(String name) {
        this.name = name;
        return this;
    }

    @Override
    public Span.Builder event(String value) {
        if (events == null) {
            events = new ArrayList<>(2);
        }
        events.add(value);
        return this;
    }

    @Override
    public Span.Builder tag(String key, String value) {
        if (tags == null) {
            tags = new ArrayList<>(8);
        }
        tags.add(key);
        tags.add(value);
        return this;
    }

    @Override
    public Span.Builder error(Throwable throwable) {
        this.error = throwable;
        return this;
    }

    @Override
    public Span.Builder kind(Span.Kind spanKind) {
        this.kind = spanKind;
        return this;
    }

    @Override
    public Span.Builder remoteServiceName(String remoteServiceName) {
        this.remoteServiceName = remoteServiceName;
        return this;
    }

    @Override
    public Span.Builder remoteIpAndPort(String ip, int port) {
        this.remoteIp = ip;
        this.remotePort = port;
        return this;
    }

    @Override
    public Span.Builder startTimestamp(long startTimestamp, TimeUnit unit) {
        this.startMicros = unit.toMicros(startTimestamp);
        return this;
    }

    @Override
    public Span.Builder addLink(Link link) {
        if (link != null) {
            if (links == null) {
                links = new ArrayList<>(2);
            }
            links.add(link);
        }
        return this;
    }

    @Override
    public Span start() {
        SpanContext parentContext;
        if (noParent) {
            parentContext = null;
        }
        else if (parent != null) {
            // the current context when it is the parent: it carries the values of open baggage scopes
            parentContext = tracer.resolve(parent);
        }
        else {
            parentContext = SpanContext.from(tracer.currentTraceContext().context());
        }
        TraceSpan span = tracer.newSpan(parentContext, rootSampler, rootSamplerName);
        RecordedSpan record = span.context().record;
        if (record == null) {
            return span;
        }
        // one write without the monitor instead of one monitor per field: the record is still ours alone
        record.init(name, kind, tags, error, remoteServiceName);
        if (remoteIp != null || remotePort != 0) {
            record.remoteIpAndPort(remoteIp, remotePort);
        }
        if (links != null) {
            for (Link link : links) {
                record.link(link);
            }
        }
        if (startMicros != 0L) {
            if (record.explicitStart(startMicros)) {
                tracer.spanStarted(record);
            }
        }
        else {
            span.start();
        }
        if (events != null) {
            long at = record.startMicros();
            for (String event : events) {
                record.event(at, event);
            }
        }
        return span;
    }
}
