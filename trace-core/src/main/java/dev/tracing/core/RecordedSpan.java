package dev.tracing.core;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * The recorded data of one sampled span: what it becomes once ended.
 *
 * <p>Design notes: the record is mutable and is handed to the span pipeline as the
 * {@link FinishedSpan} itself, without a copy, because ending a span is the hot path and a
 * {@link io.micrometer.tracing.exporter.SpanFilter} is allowed to change what it receives. While
 * the span is open, writes take the record's monitor (uncontended in practice: a span is
 * usually tagged by one thread at a time); once it has ended, further writes through the
 * {@link Span} are ignored. Times are epoch microseconds; tag and event collections are
 * allocated on first use.
 */
public final class RecordedSpan implements FinishedSpan {

    private final SpanContext context;

    private String name;

    private Span.Kind kind;

    private long startMicros;

    private long startNanos;

    private long endMicros;

    private Map<String, String> tags;

    private List<Map.Entry<Long, String>> events;

    private Throwable error;

    private String remoteServiceName;

    private String remoteIp;

    private int remotePort;

    private String localServiceName;

    private String localIp;

    private List<Link> links;

    private boolean finished;

    private boolean started;

    private final SpanLimits limits;

    /** Tags dropped over the limits. */
    private int droppedTags;

    /** Events dropped over the limits. */
    private int droppedEvents;

    /** Links dropped over the limits. */
    private int droppedLinks;

    RecordedSpan(SpanContext context, String localServiceName, SpanLimits limits) {
        this.context = context;
        this.localServiceName = localServiceName;
        this.limits = limits;
    }

    /** A copy of {@code source}, ended, with {@code error} in place of its exception. */
    private RecordedSpan(RecordedSpan source, Throwable error) {
        synchronized (source) {
            this.context = source.context;
            this.localServiceName = source.localServiceName;
            this.limits = source.limits;
            this.name = source.name;
            this.kind = source.kind;
            this.startMicros = source.startMicros;
            this.startNanos = source.startNanos;
            this.endMicros = source.endMicros;
            this.tags = source.tags;
            this.events = source.events;
            this.error = error;
            this.remoteServiceName = source.remoteServiceName;
            this.remoteIp = source.remoteIp;
            this.remotePort = source.remotePort;
            this.localIp = source.localIp;
            this.links = source.links;
            this.droppedTags = source.droppedTags;
            this.droppedEvents = source.droppedEvents;
            this.droppedLinks = source.droppedLinks;
            this.sampledBy = source.sampledBy;
            this.started = source.started;
            this.finished = true;
        }
    }

    /**
     * This span as something that holds it for long should keep it: when it recorded an exception, a
     * copy with an {@link ErrorSummary} (the exception's type and cut message) in its place, sharing
     * the rest (names, tags, events, links); otherwise this span itself. The exception can hold far
     * more than a span's limits allow (a response body, a stack trace, causes); the exporters and the
     * application's reporters still receive the span with the exception itself.
     */
    public RecordedSpan withErrorSummary() {
        Throwable recorded;
        synchronized (this) {
            recorded = error;
        }
        if (recorded == null || recorded instanceof ErrorSummary) {
            return this;
        }
        String message;
        try {
            message = recorded.getMessage();
        }
        catch (RuntimeException | StackOverflowError | LinkageError ex) {
            // an exception whose message fails (built from a payload it cannot read, or from itself) keeps its type:
            // this runs where the span ends, in the application's code
            message = null;
        }
        return new RecordedSpan(this, new ErrorSummary(recorded.getClass().getName(),
                message != null ? limits.cut(message) : null));
    }

    /** Returns the context of the span this record belongs to. */
    public SpanContext context() {
        return context;
    }

    synchronized boolean isFinished() {
        return finished;
    }

    /** Records the start; returns true for the call that started the span, false for any later one. */
    synchronized boolean start(long epochMicros, long nanos) {
        if (finished || started) {
            return false;
        }
        started = true;
        startMicros = epochMicros;
        startNanos = nanos;
        return true;
    }

    /** Whether this tracer's sampler chose to record the span (rather than a parent's decision). */
    boolean sampledHere;

    /** The sampler that chose to record this span, when {@link #sampledHere}: refunded if it is abandoned. */
    Sampler sampler;

    /** The trace this span waits with for a keep decision; null when the span was sampled. */
    PendingTrace pending;

    /** The span that ended after this one in its {@link #pending} trace's wait list; guarded by that trace. */
    RecordedSpan nextWaiting;

    /** Why a local root was recorded (see {@link #sampledBy()}); null for other spans. */
    volatile String sampledBy;

    /** {@link #sampledBy()} of a local root that the tracer's own sampler chose. */
    public static final String SAMPLED_BY_DEFAULT = "default";

    /** {@link #sampledBy()} of a local root whose caller's decision was kept. */
    public static final String SAMPLED_BY_INCOMING = "incoming";

    /** {@link #sampledBy()} of a local root kept because it ended in error. */
    public static final String SAMPLED_BY_KEEP_ERRORS = "keep.errors";

    /** {@link #sampledBy()} of a local root kept because it was slow. */
    public static final String SAMPLED_BY_KEEP_SLOW = "keep.slower-than";

    /**
     * Why this span's local trace was recorded, when this span is its local root:
     * {@value #SAMPLED_BY_DEFAULT} (the tracer's sampler), the name of the sampling rule that
     * decided, {@value #SAMPLED_BY_INCOMING} (the caller's decision), {@value #SAMPLED_BY_KEEP_ERRORS}
     * or {@value #SAMPLED_BY_KEEP_SLOW} (kept after the fact). Null for a span below a local root.
     */
    public String sampledBy() {
        return sampledBy;
    }

    /** Whether the span recorded a failure: an exception or an {@code error} tag. */
    synchronized boolean hasError() {
        return error != null || (tags != null && tags.containsKey("error"));
    }

    /** Marks a local root whose trace was kept after it ended, for {@code reason}. */
    synchronized void kept(String reason) {
        if (tags == null) {
            tags = new SpanTags(4);
        }
        tags.put(KeepPolicy.KEPT_TAG, reason);
        sampledBy = KeepPolicy.KEPT_ERROR.equals(reason) ? SAMPLED_BY_KEEP_ERRORS : SAMPLED_BY_KEEP_SLOW;
    }

    /**
     * Whether {@link #start} was called. Read by the thread that has just finished or abandoned the
     * span, which took the lock after any start did, so the plain read sees it.
     */
    boolean wasStarted() {
        return started;
    }

    /** Marks the span ended; returns false if it had ended already (it is then not reported again). */
    synchronized boolean finish(long explicitEndMicros, TraceClock clock) {
        if (finished) {
            return false;
        }
        finished = true;
        if (explicitEndMicros != 0L) {
            endMicros = explicitEndMicros;
        }
        else if (startMicros != 0L && startNanos != 0L) {
            // duration from the monotonic clock: immune to wall-clock steps while the span is open
            endMicros = startMicros + Math.max(0L, (clock.nanoTime() - startNanos) / 1000L);
        }
        else {
            endMicros = clock.epochMicros();
        }
        if (startMicros == 0L || startMicros > endMicros) {
            startMicros = startMicros == 0L ? endMicros : startMicros;
            endMicros = Math.max(startMicros, endMicros);
        }
        return true;
    }

    /** Marks the span ended without reporting it; returns false if it had ended already. */
    synchronized boolean abandon() {
        if (finished) {
            return false;
        }
        finished = true;
        return true;
    }

    synchronized void name(String name) {
        if (!finished) {
            this.name = name;
        }
    }

    synchronized void kind(Span.Kind kind) {
        if (!finished) {
            this.kind = kind;
        }
    }

    synchronized void tag(String key, String value) {
        if (!finished) {
            putTag(key, value);
        }
    }

    /**
     * Sets what a span builder collected before the span starts, without taking the monitor: the
     * record is not yet visible to another thread, and the monitor taken when it starts publishes
     * these writes to whichever thread takes it next. {@code tags} alternates keys and values.
     */
    void init(String name, Span.Kind kind, List<String> tags, Throwable error, String remoteServiceName) {
        this.name = name;
        this.kind = kind;
        if (tags != null) {
            for (int i = 0; i < tags.size(); i += 2) {
                putTag(tags.get(i), tags.get(i + 1));
            }
        }
        this.error = error;
        this.remoteServiceName = remoteServiceName;
    }

    private void putTag(String key, String value) {
        if (key == null || value == null) {
            return;
        }
        if ((tags == null ? 0 : tags.size()) >= limits.maxTags() && (tags == null || !tags.containsKey(key))) {
            droppedTags++;
            return;
        }
        if (tags == null) {
            tags = new SpanTags(8);
        }
        tags.put(key, limits.cut(value));
    }

    synchronized void event(long epochMicros, String value) {
        if (finished || value == null) {
            return;
        }
        if ((events == null ? 0 : events.size()) >= limits.maxEvents()) {
            droppedEvents++;
            return;
        }
        if (events == null) {
            events = new ArrayList<>(4);
        }
        events.add(new AbstractMap.SimpleImmutableEntry<>(epochMicros, limits.cut(value)));
    }

    synchronized void error(Throwable error) {
        if (!finished && error != null) {
            this.error = error;
        }
    }

    synchronized void remoteServiceName(String remoteServiceName) {
        if (!finished) {
            this.remoteServiceName = remoteServiceName;
        }
    }

    synchronized void remoteIpAndPort(String ip, int port) {
        if (!finished) {
            this.remoteIp = ip;
            this.remotePort = port;
        }
    }

    synchronized void link(Link link) {
        // a link to no context (a current context read where there was none) says nothing
        if (finished || link == null || link.getTraceContext() == null) {
            return;
        }
        if ((links == null ? 0 : links.size()) >= limits.maxLinks()) {
            droppedLinks++;
            return;
        }
        if (links == null) {
            links = new ArrayList<>(2);
        }
        links.add(withinLimits(link));
    }

    /**
     * {@code link} with at most {@code maxTags} attributes, its text values cut as a tag's: a link's
     * attributes are held and exported as the span's tags are. The link itself when within.
     */
    private Link withinLimits(Link link) {
        Map<String, Object> attributes = link.getTags();
        if (attributes == null || attributes.isEmpty()) {
            return link;
        }
        boolean within = attributes.size() <= limits.maxTags();
        for (Object value : attributes.values()) {
            if (!within) {
                break;
            }
            within = !(value instanceof String text) || text.length() <= limits.maxTagValueLength();
        }
        if (within) {
            return link;
        }
        Map<String, Object> kept = new LinkedHashMap<>();
        for (Map.Entry<String, Object> attribute : attributes.entrySet()) {
            if (kept.size() >= limits.maxTags()) {
                break;
            }
            Object value = attribute.getValue();
            kept.put(attribute.getKey(), value instanceof String text ? limits.cut(text) : value);
        }
        return new Link(link.getTraceContext(), kept);
    }

    /** Sets the start to a given time; returns true when this call started the span. */
    synchronized boolean explicitStart(long epochMicros) {
        if (finished) {
            return false;
        }
        boolean first = !started;
        started = true;
        startMicros = epochMicros;
        startNanos = 0L;
        return first;
    }

    /** Returns how many tags, events and links were dropped over the span limits. */
    public synchronized int droppedCount() {
        return droppedTags + droppedEvents + droppedLinks;
    }

    /** Returns how many tags were dropped over the span limits (OTLP's dropped attributes). */
    public synchronized int droppedTagCount() {
        return droppedTags;
    }

    /** Returns how many events were dropped over the span limits. */
    public synchronized int droppedEventCount() {
        return droppedEvents;
    }

    /** Returns how many links were dropped over the span limits. */
    public synchronized int droppedLinkCount() {
        return droppedLinks;
    }

    /** Returns the start in epoch microseconds. */
    public long startMicros() {
        return startMicros;
    }

    /** Returns the end in epoch microseconds. */
    public long endMicros() {
        return endMicros;
    }

    /** Returns the duration in microseconds. */
    public long durationMicros() {
        return endMicros - startMicros;
    }

    @Override
    public FinishedSpan setName(String name) {
        this.name = name;
        return this;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public Instant getStartTimestamp() {
        return toInstant(startMicros);
    }

    @Override
    public Instant getEndTimestamp() {
        return toInstant(endMicros);
    }

    private static Instant toInstant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    @Override
    public FinishedSpan setTags(Map<String, String> tags) {
        this.tags = tags == null ? null : new SpanTags(tags);
        return this;
    }

    @Override
    public Map<String, String> getTags() {
        // a mutable map even when empty: filters commonly add to what they get
        if (tags == null) {
            tags = new SpanTags(4);
        }
        return tags;
    }

    @Override
    public FinishedSpan setEvents(Collection<Map.Entry<Long, String>> events) {
        this.events = events == null ? null : new ArrayList<>(events);
        return this;
    }

    @Override
    public Collection<Map.Entry<Long, String>> getEvents() {
        return events == null ? Collections.emptyList() : events;
    }

    @Override
    public String getSpanId() {
        return context.spanId();
    }

    @Override
    public String getParentId() {
        return context.parentId();
    }

    @Override
    public String getRemoteIp() {
        return remoteIp;
    }

    @Override
    public String getLocalIp() {
        return localIp;
    }

    @Override
    public FinishedSpan setLocalIp(String ip) {
        this.localIp = ip;
        return this;
    }

    @Override
    public int getRemotePort() {
        return remotePort;
    }

    @Override
    public FinishedSpan setRemotePort(int port) {
        this.remotePort = port;
        return this;
    }

    @Override
    public String getTraceId() {
        return context.traceId();
    }

    @Override
    public Throwable getError() {
        return error;
    }

    /** The limits this span was recorded under; an exporter cuts what it writes beside the tags to them. */
    public SpanLimits limits() {
        return limits;
    }

    @Override
    public FinishedSpan setError(Throwable error) {
        this.error = error;
        return this;
    }

    @Override
    public Span.Kind getKind() {
        return kind;
    }

    @Override
    public String getRemoteServiceName() {
        return remoteServiceName;
    }

    @Override
    public FinishedSpan setRemoteServiceName(String remoteServiceName) {
        this.remoteServiceName = remoteServiceName;
        return this;
    }

    @Override
    public String getLocalServiceName() {
        return localServiceName;
    }

    @Override
    public FinishedSpan setLocalServiceName(String localServiceName) {
        this.localServiceName = localServiceName;
        return this;
    }

    @Override
    public List<Link> getLinks() {
        return links == null ? Collections.emptyList() : links;
    }

    @Override
    public FinishedSpan addLinks(List<Link> links) {
        for (Link link : links) {
            addLink(link);
        }
        return this;
    }

    @Override
    public FinishedSpan addLink(Link link) {
        if (link != null && link.getTraceContext() != null) {
            if (links == null) {
                links = new ArrayList<>(2);
            }
            links.add(link);
        }
        return this;
    }

    @Override
    public String toString() {
        return "RecordedSpan{" + context + ", name=" + name + ", kind=" + kind + ", tags=" + getTags() + "}";
    }
}
