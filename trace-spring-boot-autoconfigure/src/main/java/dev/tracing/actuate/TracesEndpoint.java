package dev.tracing.actuate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.tracing.core.ErrorSummary;
import dev.tracing.export.InMemorySpanStore;
import dev.tracing.export.ZipkinV2JsonEncoder;
import dev.tracing.internal.HexCodec;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.util.MimeType;

/**
 * The {@code traces} actuator endpoint: the recent traces held by the {@link InMemorySpanStore}.
 * <ul>
 * <li>{@code GET /actuator/traces}: newest-first summaries (the trace whose first span reached the
 * store last comes first), filtered by {@code limit} (default 20, at most 1000),
 * {@code minDuration} (milliseconds), {@code error} (true/false), {@code name} (a part of the root
 * span's name, any case) and {@code kind} (the root span's kind). The store keeps each trace's
 * summary, so a request reads no spans.</li>
 * <li>{@code GET /actuator/traces/{traceId}}: the trace as a Zipkin v2 JSON span array, which the
 * Zipkin UI can load; {@code ?view=tree} nests the same spans by parent for reading, with what
 * Zipkin's format has no room for: each span's parent id, whether that parent is missing from the
 * store, and its links.</li>
 * </ul>
 * A malformed trace id answers 400, an unknown one 404. A 64-bit trace id (B3 from Sleuth or an
 * old Brave) is listed as the 16 characters it arrived with, and found by those or by the same
 * id padded to 32 with zeros.
 */
@WebEndpoint(id = "traces")
public class TracesEndpoint {

    static final int DEFAULT_LIMIT = 20;

    static final int MAX_LIMIT = 1000;

    /**
     * The levels of spans the tree view nests at most; the spans below the last level are listed as
     * children of the span at that level, each with its own parent id. A span adds two levels of
     * JSON, and JSON writers refuse to nest deeper than 500 by default: a trace nested deeper (a
     * recursion, a caller that chains its requests) would fail to open.
     */
    static final int MAX_TREE_DEPTH = 100;

    private static final MimeType JSON = MimeType.valueOf("application/json");

    private static final String ZERO_HIGH = "0000000000000000";

    private static final Set<String> LOCAL_KINDS = Set.of("local", "internal");

    private final InMemorySpanStore store;

    public TracesEndpoint(InMemorySpanStore store) {
        this.store = store;
    }

    /** Lists recent traces, newest first. */
    @ReadOperation
    public WebEndpointResponse<List<TraceSummary>> traces(@Nullable Integer limit, @Nullable Long minDuration,
            @Nullable Boolean error, @Nullable String name, @Nullable String kind) {
        int max = limit == null ? DEFAULT_LIMIT : limit;
        boolean anyKind = kind == null || kind.isBlank();
        // a root span of no kind (a scheduled task, @NewSpan) is LOCAL, as the page shows it
        boolean localRoot = !anyKind && LOCAL_KINDS.contains(kind.trim().toLowerCase(Locale.ROOT));
        Span.Kind rootKind = anyKind || localRoot ? null : kind(kind);
        if (max < 1 || (minDuration != null && minDuration < 0) || (!anyKind && !localRoot && rootKind == null)) {
            return new WebEndpointResponse<>(WebEndpointResponse.STATUS_BAD_REQUEST);
        }
        max = Math.min(max, MAX_LIMIT);
        // milliseconds whose microseconds overflow a long are longer than any trace
        long minDurationMicros = minDuration == null ? 0L
                : minDuration > Long.MAX_VALUE / 1000L ? Long.MAX_VALUE : minDuration * 1000L;
        String part = name == null || name.isBlank() ? null : name.trim().toLowerCase(Locale.ROOT);
        // no filter at all: the store then reads only the newest traces' summaries, not the list of all of them
        boolean filtered = minDurationMicros > 0 || error != null || rootKind != null || localRoot || part != null;
        List<InMemorySpanStore.Summary> found = store.recentSummaries(max, !filtered ? null
                : summary -> summary.duration() >= minDurationMicros && (error == null || summary.error() == error)
                        && (localRoot ? summary.kind() == null : rootKind == null || summary.kind() == rootKind)
                        && (part == null || (summary.name() != null
                                && summary.name().toLowerCase(Locale.ROOT).contains(part))));
        List<TraceSummary> summaries = new ArrayList<>(found.size());
        for (InMemorySpanStore.Summary summary : found) {
            summaries.add(new TraceSummary(summary.traceId(), summary.name(), summary.serviceName(),
                    summary.timestamp(), summary.duration(), summary.spanCount(), summary.error(),
                    summary.sampledBy()));
        }
        return new WebEndpointResponse<>(summaries);
    }

    /** Returns one trace as Zipkin v2 JSON, or nested by parent with {@code view=tree}. */
    @ReadOperation
    public WebEndpointResponse<Object> trace(@Selector String traceId, @Nullable String view) {
        String id = normalize(traceId);
        if (id == null || (view != null && !"tree".equals(view) && !"zipkin".equals(view))) {
            return new WebEndpointResponse<>(WebEndpointResponse.STATUS_BAD_REQUEST);
        }
        List<FinishedSpan> spans = store.trace(id);
        if (spans.isEmpty()) {
            return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
        }
        spans.sort(Comparator.comparingLong(ZipkinV2JsonEncoder::startMicros));
        if ("tree".equals(view)) {
            return new WebEndpointResponse<>(tree(spans));
        }
        return new WebEndpointResponse<>(ZipkinV2JsonEncoder.INSTANCE.encodeList(spans), JSON);
    }

    private static Span.@Nullable Kind kind(String kind) {
        try {
            return Span.Kind.valueOf(kind.trim().toUpperCase(Locale.ROOT));
        }
        catch (IllegalArgumentException ex) {
            return null;
        }
    }

    /**
     * Returns the lower-case form of a 16 or 32 hex-digit trace id as this tracer writes it, or
     * null: a 64-bit id is 16 characters, also when asked for with sixteen leading zeros (as a
     * W3C {@code traceparent} or an OTLP backend shows it), so both spellings find the trace.
     */
    static String normalize(String traceId) {
        if (traceId == null || (traceId.length() != 16 && traceId.length() != 32)) {
            return null;
        }
        String lower = traceId.toLowerCase(Locale.ROOT);
        if (!HexCodec.isLowerHex(lower, 0, lower.length())) {
            return null;
        }
        String id = lower.length() == 32 && lower.startsWith(ZERO_HIGH) ? lower.substring(16) : lower;
        // all zeros is no trace id in W3C trace context or B3
        return id.equals(ZERO_HIGH) ? null : id;
    }

    /** Nests spans (sorted by start) under their parents; spans whose parent is absent are roots. */
    static List<Map<String, Object>> tree(List<FinishedSpan> spans) {
        Map<String, Map<String, Object>> nodes = new HashMap<>();
        for (FinishedSpan span : spans) {
            nodes.put(span.getSpanId(), node(span));
        }
        List<Map<String, Object>> roots = new ArrayList<>();
        for (FinishedSpan span : spans) {
            Map<String, Object> node = nodes.get(span.getSpanId());
            Map<String, Object> parent = span.getParentId() == null ? null : nodes.get(span.getParentId());
            if (parent == null || parent == node) {
                if (span.getParentId() != null && !span.getParentId().isEmpty() && parent == null) {
                    // evicted, over the per-trace cap, or still running: the viewer marks it
                    node.put("missingParent", true);
                }
                roots.add(node);
            }
            else {
                children(parent).add(node);
            }
        }
        limitDepth(roots);
        return roots;
    }

    /**
     * Lists the descendants of each span at {@link #MAX_TREE_DEPTH} as its children, in the order
     * the tree gives them; iterative, as a chain of spans is as deep as the trace is long.
     */
    private static void limitDepth(List<Map<String, Object>> roots) {
        Deque<Map<String, Object>> pending = new ArrayDeque<>();
        Deque<Integer> levels = new ArrayDeque<>();
        for (Map<String, Object> root : roots) {
            pending.push(root);
            levels.push(1);
        }
        while (!pending.isEmpty()) {
            Map<String, Object> node = pending.pop();
            int level = levels.pop();
            List<Map<String, Object>> children = children(node);
            if (level < MAX_TREE_DEPTH) {
                for (Map<String, Object> child : children) {
                    pending.push(child);
                    levels.push(level + 1);
                }
            }
            else if (hasGrandchildren(children)) {
                node.put("children", descendants(children));
            }
        }
    }

    private static boolean hasGrandchildren(List<Map<String, Object>> children) {
        for (Map<String, Object> child : children) {
            if (!children(child).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** {@code children} and all below them, each before its own children, none nesting any more. */
    private static List<Map<String, Object>> descendants(List<Map<String, Object>> children) {
        List<Map<String, Object>> flat = new ArrayList<>();
        Deque<Map<String, Object>> pending = new ArrayDeque<>();
        for (int i = children.size() - 1; i >= 0; i--) {
            pending.push(children.get(i));
        }
        while (!pending.isEmpty()) {
            Map<String, Object> node = pending.pop();
            flat.add(node);
            List<Map<String, Object>> below = children(node);
            for (int i = below.size() - 1; i >= 0; i--) {
                pending.push(below.get(i));
            }
            node.put("children", new ArrayList<Map<String, Object>>());
        }
        return flat;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> children(Map<String, Object> node) {
        return (List<Map<String, Object>>) node.get("children");
    }

    private static Map<String, Object> node(FinishedSpan span) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("id", span.getSpanId());
        if (span.getParentId() != null && !span.getParentId().isEmpty()) {
            node.put("parentId", span.getParentId());
        }
        node.put("name", span.getName());
        if (span.getKind() != null) {
            node.put("kind", span.getKind().name());
        }
        node.put("serviceName", span.getLocalServiceName());
        long start = ZipkinV2JsonEncoder.startMicros(span);
        node.put("timestamp", start);
        node.put("duration", Math.max(0L, ZipkinV2JsonEncoder.endMicros(span) - start));
        Map<String, String> tags = new LinkedHashMap<>(span.getTags());
        if (span.getError() != null) {
            // as the Zipkin view has them
            tags.putIfAbsent("error", ZipkinV2JsonEncoder.errorMessage(span));
            tags.putIfAbsent(ZipkinV2JsonEncoder.EXCEPTION_TYPE, ErrorSummary.typeOf(span.getError()));
        }
        node.put("tags", tags);
        List<Map.Entry<Long, String>> annotations = ZipkinV2JsonEncoder.annotations(span);
        if (!annotations.isEmpty()) {
            List<Map<String, Object>> events = new ArrayList<>(annotations.size());
            for (Map.Entry<Long, String> event : annotations) {
                events.add(Map.of("timestamp", event.getKey(), "value", event.getValue()));
            }
            node.put("annotations", events);
        }
        if (!span.getLinks().isEmpty()) {
            List<Map<String, Object>> links = new ArrayList<>();
            for (Link link : span.getLinks()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("traceId", link.getTraceContext().traceId());
                entry.put("spanId", link.getTraceContext().spanId());
                entry.put("tags", link.getTags());
                links.add(entry);
            }
            node.put("links", links);
        }
        node.put("children", new ArrayList<Map<String, Object>>());
        return node;
    }
}
