package dev.tracing.autoconfigure;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.tracing.core.MdcScopeDecorator;
import org.slf4j.event.KeyValuePair;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.json.JsonWriter.MemberPath;
import org.springframework.boot.json.JsonWriter.Members;
import org.springframework.boot.logging.structured.StructuredLoggingJsonMembersCustomizer;
import org.springframework.core.env.Environment;

/**
 * Gives the trace and span ids of a structured log line the names its format uses. Elastic
 * Common Schema lines carry {@code trace.id} and {@code span.id}, nested like the ECS fields
 * Boot writes ({@code log.level}), in place of the MDC's {@code traceId} and {@code spanId};
 * Logstash lines keep {@code traceId} and {@code spanId}, and GELF lines {@code _traceId} and
 * {@code _spanId} (GELF's additional-field prefix), which Boot already writes from the MDC. It is
 * registered in {@code spring.factories} because logging starts before any bean exists.
 *
 * <p>It stands back with {@code trace.enabled=false}, without the MDC in the line
 * ({@code logging.structured.json.context.include=false}), and when the user's
 * {@code logging.structured.json} include, exclude or rename settings name an id: the user chose.
 *
 * <p>Design notes: Boot tells a customizer nothing of the format it serves, and the console and
 * the file may each use another. A customizer is created and applied inside its formatter's
 * constructor, so the formatter's class is on the stack then: it is looked for there, once per
 * formatter and never per line. Only Logback's ECS formatter is matched; another (Log4j2's, a
 * format of the user's own) is left as it is, and this class touches Logback only after the
 * match, so it loads without it.
 */
final class StructuredLogTraceFieldsCustomizer implements StructuredLoggingJsonMembersCustomizer<Object> {

    private static final String LOGBACK_ECS_FORMATTER =
            "org.springframework.boot.logging.logback.ElasticCommonSchemaStructuredLogFormatter";

    private static final String JSON = "logging.structured.json";

    private final Environment environment;

    StructuredLogTraceFieldsCustomizer(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void customize(Members<Object> members) {
        if (!environment.getProperty("trace.enabled", Boolean.class, Boolean.TRUE)
                || !environment.getProperty(JSON + ".context.include", Boolean.class, Boolean.TRUE)
                || !isAppliedByLogbackEcsFormatter()) {
            return;
        }
        String prefix = environment.getProperty(JSON + ".context.prefix", "");
        String tracePath = join(prefix, MdcScopeDecorator.TRACE_ID);
        String spanPath = join(prefix, MdcScopeDecorator.SPAN_ID);
        Binder binder = Binder.get(environment);
        List<String> included = binder.bind(JSON + ".include", Bindable.listOf(String.class)).orElse(List.of());
        List<String> excluded = binder.bind(JSON + ".exclude", Bindable.listOf(String.class)).orElse(List.of());
        Set<String> renamed = binder.bind(JSON + ".rename", Bindable.mapOf(String.class, String.class))
            .map(Map::keySet)
            .orElse(Set.of());
        for (String path : List.of(tracePath, spanPath)) {
            if (included.contains(path) || excluded.contains(path) || renamed.contains(path)) {
                return;
            }
        }
        Set<String> added = binder.bind(JSON + ".add", Bindable.mapOf(String.class, String.class))
            .map(Map::keySet)
            .orElse(Set.of());
        new EcsFields(prefix, tracePath, spanPath, added).customize(members);
    }

    private static boolean isAppliedByLogbackEcsFormatter() {
        return StackWalker.getInstance()
            .walk((frames) -> frames.anyMatch((frame) -> LOGBACK_ECS_FORMATTER.equals(frame.getClassName())));
    }

    /** Joins a context prefix and an MDC key as Boot's ECS formatter does. */
    static String join(String prefix, String name) {
        if (prefix.isEmpty() || prefix.endsWith(".")) {
            return prefix + name;
        }
        return prefix + "." + name;
    }

    /** Whether a dotted name puts something under the top-level field {@code field}. */
    static boolean occupies(String name, String field) {
        return name.startsWith(field) && (name.length() == field.length() || name.charAt(field.length()) == '.');
    }

    /**
     * Replaces the MDC ids of Logback ECS lines with {@code trace.id} and {@code span.id}. When
     * the line already has a {@code trace} or {@code span} object (an MDC key such as
     * {@code span.kind}), the id is written with a dotted name beside it instead, as a second
     * member of the same name would fail the whole line.
     */
    private static final class EcsFields {

        private final String prefix;

        private final String tracePath;

        private final String spanPath;

        private final boolean traceTaken;

        private final boolean spanTaken;

        EcsFields(String prefix, String tracePath, String spanPath, Set<String> added) {
            this.prefix = prefix;
            this.tracePath = tracePath;
            this.spanPath = spanPath;
            // every MDC pair lies under a non-empty prefix, and added members are on every line
            this.traceTaken = occupies(prefix, "trace") || added.stream().anyMatch((name) -> occupies(name, "trace"));
            this.spanTaken = occupies(prefix, "span") || added.stream().anyMatch((name) -> occupies(name, "span"));
        }

        void customize(Members<Object> members) {
            members.applyingPathFilter(this::isMdcId);
            members.add().usingPairs(this::addIds);
        }

        private boolean isMdcId(MemberPath path) {
            String name = path.name();
            return (MdcScopeDecorator.TRACE_ID.equals(name) && tracePath.equals(path.toUnescapedString()))
                    || (MdcScopeDecorator.SPAN_ID.equals(name) && spanPath.equals(path.toUnescapedString()));
        }

        private void addIds(Object item, BiConsumer<String, Object> pairs) {
            ILoggingEvent event = (ILoggingEvent) item;
            Map<String, String> mdc = event.getMDCPropertyMap();
            addId("trace", mdc.get(MdcScopeDecorator.TRACE_ID), traceTaken, event, pairs);
            addId("span", mdc.get(MdcScopeDecorator.SPAN_ID), spanTaken, event, pairs);
        }

        private void addId(String field, String id, boolean taken, ILoggingEvent event,
                BiConsumer<String, Object> pairs) {
            if (id == null) {
                return;
            }
            if (taken || isTakenByContext(event, field)) {
                pairs.accept(field + ".id", id);
            }
            else {
                pairs.accept(field, Map.of("id", id));
            }
        }

        private boolean isTakenByContext(ILoggingEvent event, String field) {
            if (!prefix.isEmpty()) {
                return false;
            }
            for (String key : event.getMDCPropertyMap().keySet()) {
                if (occupies(key, field)) {
                    return true;
                }
            }
            List<KeyValuePair> keyValuePairs = event.getKeyValuePairs();
            if (keyValuePairs != null) {
                for (KeyValuePair pair : keyValuePairs) {
                    if (pair.key != null && occupies(pair.key, field)) {
                        return true;
                    }
                }
            }
            return false;
        }

    }

}
