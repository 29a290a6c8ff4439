package dev.tracing.test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.exporter.FinishedSpan;

/**
 * Prints spans as an indented tree per trace, for failure messages: the reader sees what the
 * application produced instead of only what was missing.
 */
final class SpanTree {

    private SpanTree() {
    }

    static String print(List<FinishedSpan> spans) {
        if (spans.isEmpty()) {
            return "  (no spans)";
        }
        Map<String, List<FinishedSpan>> byTrace = new LinkedHashMap<>();
        for (FinishedSpan span : spans) {
            byTrace.computeIfAbsent(span.getTraceId(), id -> new ArrayList<>()).add(span);
        }
        StringBuilder out = new StringBuilder();
        byTrace.forEach((traceId, trace) -> {
            out.append("  trace ").append(traceId).append(System.lineSeparator());
            Map<String, List<FinishedSpan>> children = new HashMap<>();
            Set<String> ids = new HashSet<>();
            for (FinishedSpan span : trace) {
                ids.add(span.getSpanId());
            }
            List<FinishedSpan> roots = new ArrayList<>();
            for (FinishedSpan span : trace) {
                String parent = span.getParentId();
                if (parent == null || parent.isEmpty() || !ids.contains(parent)) {
                    roots.add(span);
                }
                else {
                    children.computeIfAbsent(parent, id -> new ArrayList<>()).add(span);
                }
            }
            roots.sort(byStart());
            for (FinishedSpan root : roots) {
                print(out, root, children, 2);
            }
        });
        return out.toString().stripTrailing();
    }

    private static void print(StringBuilder out, FinishedSpan span, Map<String, List<FinishedSpan>> children,
            int depth) {
        out.append("  ".repeat(depth)).append(describe(span)).append(System.lineSeparator());
        List<FinishedSpan> below = children.getOrDefault(span.getSpanId(), new ArrayList<>());
        below.sort(byStart());
        for (FinishedSpan child : below) {
            print(out, child, children, depth + 1);
        }
    }

    /** One line: name, kind, duration, service, tags, and what else a span carries. */
    static String describe(FinishedSpan span) {
        StringBuilder line = new StringBuilder();
        line.append('"').append(span.getName()).append('"');
        line.append(' ').append(span.getKind() == null ? "LOCAL" : span.getKind().name());
        if (span.getStartTimestamp() != null && span.getEndTimestamp() != null) {
            long micros = TimeUnit.NANOSECONDS.toMicros(
                    java.time.Duration.between(span.getStartTimestamp(), span.getEndTimestamp()).toNanos());
            line.append(' ').append(String.format(java.util.Locale.ROOT, "%.1f ms", micros / 1000.0));
        }
        line.append(" [").append(span.getLocalServiceName()).append(']');
        line.append(" id=").append(span.getSpanId());
        if (span.getParentId() != null && !span.getParentId().isEmpty()) {
            line.append(" parent=").append(span.getParentId());
        }
        if (!span.getTags().isEmpty()) {
            line.append(' ').append(span.getTags());
        }
        if (!span.getEvents().isEmpty()) {
            line.append(" events=").append(span.getEvents().stream().map(Map.Entry::getValue).toList());
        }
        for (Link link : span.getLinks()) {
            line.append(" link=").append(link.getTraceContext().traceId()).append('/')
                .append(link.getTraceContext().spanId());
        }
        if (span.getError() != null) {
            line.append(" error=").append(span.getError());
        }
        return line.toString();
    }

    private static Comparator<FinishedSpan> byStart() {
        return Comparator.comparing(FinishedSpan::getStartTimestamp,
                Comparator.nullsLast(Comparator.naturalOrder()));
    }

}
