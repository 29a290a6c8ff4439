package dev.tracing.autoconfigure;

import java.util.Map;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.util.ClassUtils;

/**
 * One warning at start-up that names the properties of Spring Boot's own tracing and of Spring
 * Cloud Sleuth that are set, each with the {@code trace.*} property to use instead: a sampling
 * probability or a propagation type carried over from them would otherwise be ignored without a
 * word. Environment variables count too ({@code MANAGEMENT_TRACING_SAMPLING_PROBABILITY}).
 */
public final class ReplacedTracingPropertiesWarning implements SmartInitializingSingleton {

    private static final Logger LOGGER = LoggerFactory.getLogger(ReplacedTracingPropertiesWarning.class);

    /**
     * Prefixes of Boot's and Sleuth's tracing properties, each with what this starter reads instead;
     * the first that matches names it, so a prefix comes before any shorter one it starts with.
     */
    private static final String NO_EQUIVALENT = "no equivalent";

    private static final String OTHER_RESOURCE_ATTRIBUTES = NO_EQUIVALENT
            + " for spans: OTLP spans carry service.name and the exporter's own attributes";

    private static final String[][] REPLACED_PROPERTIES = {
            { "management.tracing.enabled", "trace.enabled" },
            { "management.tracing.sampling.", "trace.sampling.probability" },
            { "management.tracing.propagation.", "trace.propagation.produce and trace.propagation.consume" },
            { "management.tracing.baggage.remote-fields", "trace.baggage.remote-fields" },
            { "management.tracing.baggage.correlation.", "trace.baggage.correlation-fields" },
            { "management.tracing.baggage.tag-fields", "trace.baggage.tag-fields" },
            { "management.tracing.baggage.", "trace.baggage.*" },
            { "management.tracing.export.zipkin.", "trace.export.zipkin.endpoint" },
            { "management.tracing.export.otlp.", "trace.export.otlp.endpoint and headers" },
            { "management.tracing.export.enabled", "trace.enabled, or no trace.export.* endpoint" },
            { "management.tracing.opentelemetry.export.", "trace.export.batch.*" },
            { "management.zipkin.tracing.", "trace.export.zipkin.endpoint" },
            { "management.opentelemetry.tracing.export.otlp.", "trace.export.otlp.endpoint and headers" },
            { "management.opentelemetry.tracing.export.", "trace.export.batch.*" },
            { "management.opentelemetry.tracing.sampler", "trace.sampling.probability" },
            { "management.opentelemetry.tracing.limits.", "trace.span-limits.*" },
            { "management.otlp.tracing.", "trace.export.otlp.endpoint and headers" },
            { "management.opentelemetry.resource-attributes.service.namespace",
                    OTHER_RESOURCE_ATTRIBUTES },
            { "management.opentelemetry.resource-attributes.service.name", "trace.service-name" },
            { "management.opentelemetry.resource-attributes.",
                    OTHER_RESOURCE_ATTRIBUTES },
            { "management.brave.tracing.", "the trace.* properties" },
            // Boot adds properties from release to release: any other is named too
            { "management.tracing.", "the trace.* properties" },
            { "management.opentelemetry.tracing.", "the trace.* properties" },
            { "spring.sleuth.", "the trace.* properties" } };

    /** The property Spring Boot's tracing test module sets in test contexts; see {@link #setByBootsTestModule}. */
    private static final String BOOTS_TEST_EXPORT_SWITCH = "management.tracing.export.enabled";

    /** Whether Spring Boot's tracing test module is on the classpath. */
    private static final boolean BOOTS_TEST_MODULE = ClassUtils.isPresent(
            "org.springframework.boot.micrometer.tracing.test.autoconfigure.TracingContextCustomizerFactory",
            ReplacedTracingPropertiesWarning.class.getClassLoader());

    /** The prefixes above normalized once: the environment can hold hundreds of names to check. */
    private static final String[] NORMALIZED_PREFIXES = new String[REPLACED_PROPERTIES.length];

    /** The first letters of the prefixes: a name that starts with none of them is not normalized at all. */
    private static final String FIRST_LETTERS;

    static {
        StringBuilder firstLetters = new StringBuilder();
        for (int i = 0; i < REPLACED_PROPERTIES.length; i++) {
            NORMALIZED_PREFIXES[i] = normalized(REPLACED_PROPERTIES[i][0]);
            char first = NORMALIZED_PREFIXES[i].charAt(0);
            if (firstLetters.indexOf(String.valueOf(first)) < 0) {
                firstLetters.append(first);
            }
        }
        FIRST_LETTERS = firstLetters.toString();
    }

    private final Environment environment;

    public ReplacedTracingPropertiesWarning(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void afterSingletonsInstantiated() {
        warnIfSet(environment);
    }

    /** Logs the warning when any of the replaced properties is set in {@code environment}. */
    static void warnIfSet(Environment environment) {
        if (!(environment instanceof ConfigurableEnvironment configurable)) {
            return;
        }
        Map<String, String> ignored = new TreeMap<>();
        for (PropertySource<?> source : configurable.getPropertySources()) {
            if (source instanceof EnumerablePropertySource<?> enumerable) {
                String[] names;
                try {
                    names = enumerable.getPropertyNames();
                }
                catch (RuntimeException ex) {
                    // a composite of sources that cannot all list their names: nothing to warn about there
                    continue;
                }
                for (String name : names) {
                    if (setByBootsTestModule(source, name)) {
                        continue;
                    }
                    String instead = readInstead(name);
                    if (instead != null) {
                        // a list's elements once: remote-fields[0], remote-fields[1]
                        int index = name.indexOf('[');
                        ignored.put(index < 0 ? name : name.substring(0, index), instead);
                    }
                }
            }
        }
        if (!ignored.isEmpty()) {
            StringBuilder list = new StringBuilder();
            ignored.forEach((name, instead) -> list.append(list.length() == 0 ? "" : ", ").append(name)
                .append(instead.startsWith(NO_EQUIVALENT) ? " (" : " (use ").append(instead).append(')'));
            LOGGER.warn("trace-spring-boot-starter does not read these properties of Spring Boot's tracing or "
                    + "Spring Cloud Sleuth: {}", list);
        }
    }

    /**
     * Whether {@code name} in {@code source} is what Spring Boot's tracing test module
     * ({@code spring-boot-micrometer-tracing-test}) sets in every test context unless the test asks
     * for export ({@code @AutoConfigureTracing}, or {@code spring.test.tracing.export=true}):
     * {@code management.tracing.export.enabled=false}, through {@code TestPropertyValues}, whose
     * property source is named {@code test}. Not the application's setting, so nothing to migrate
     * (and this starter exports in tests only where an endpoint is set). A test's own
     * {@code TestPropertyValues} (an {@code ApplicationContextRunner}'s properties) share that
     * source's name, and the same value is left out there too.
     */
    private static boolean setByBootsTestModule(PropertySource<?> source, String name) {
        return BOOTS_TEST_MODULE && BOOTS_TEST_EXPORT_SWITCH.equals(name) && "test".equals(source.getName())
                && "false".equals(String.valueOf(source.getProperty(name)));
    }

    /**
     * The property of this starter that replaces a property of Boot's tracing or of Sleuth, or why
     * there is none ("no equivalent..."), or null for a property that is not one of theirs.
     */
    static String readInstead(String name) {
        if (name.isEmpty() || FIRST_LETTERS.indexOf(Character.toLowerCase(name.charAt(0))) < 0) {
            return null;
        }
        // MANAGEMENT_TRACING_SAMPLING_PROBABILITY as well as management.tracing.sampling.probability
        String normalized = normalized(name);
        for (int i = 0; i < NORMALIZED_PREFIXES.length; i++) {
            if (normalized.startsWith(NORMALIZED_PREFIXES[i])) {
                return REPLACED_PROPERTIES[i][1];
            }
        }
        return null;
    }

    /**
     * The name without case, dots, dashes or underscores: an environment variable may keep a dash as
     * an underscore ({@code REMOTE_FIELDS}) or drop it ({@code REMOTEFIELDS}, Boot's usual form).
     */
    private static String normalized(String name) {
        StringBuilder letters = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '.' && c != '-' && c != '_') {
                letters.append(Character.toLowerCase(c));
            }
        }
        return letters.toString();
    }

}
