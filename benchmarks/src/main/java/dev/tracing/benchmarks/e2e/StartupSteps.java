package dev.tracing.benchmarks.e2e;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.metrics.buffering.BufferingApplicationStartup;
import org.springframework.boot.context.metrics.buffering.StartupTimeline.TimelineEvent;
import org.springframework.core.metrics.StartupStep;

/**
 * Where the start-up of the end-to-end app goes ({@code benchmarks/startup-steps.sh}): starts
 * {@link EndToEndApp} once with Spring's {@link BufferingApplicationStartup} and prints one line
 * with the time to a started context, the main thread's CPU time by then, and the time of
 * Spring's own steps, each without the steps inside it: parsing the configuration classes
 * (reading them, evaluating their conditions), making the beans, the beans' work after all are
 * made, preparing the environment. With {@code --summary DIR CONFIG...} it reads the lines of
 * such starts ({@code CONFIG-TURN.txt}) and prints, per configuration, the median of each figure
 * and the median over turns of its difference to the first configuration's start in the same turn.
 *
 * <p>Each start also prints, per bean, the time Spring took to make it (without the beans made
 * inside it), and the summary lists the beans whose time differs most from the first
 * configuration's in the same turn: a bean of one configuration that loads classes another
 * configuration's bean loads later shows there as a gain of the one and a loss of the other.
 *
 * <p>Run with the C1 compiler only ({@code -XX:TieredStopAtLevel=1}, the script's default), no
 * C2 compilation competes with the main thread for a 2-core machine's cores, so starts move
 * less from one to the next than with both compilers (whose starts to the first answer moved by
 * hundreds of milliseconds), though a shared machine's phases still move them by a tenth or more.
 * With the interpreter only ({@code -Xint}) the starts move less still, but the interpreter
 * weighs some work far beyond its share: every class file Spring reads is first looked up in
 * the JDK's module image, and in one profile under {@code -Xint} those lookups were a third of
 * what ours added to the main thread.
 */
public final class StartupSteps {

    /** The figures of one start, in the order they are printed. */
    static final List<String> FIGURES = List.of("run", "main-cpu", "parse", "instantiate", "smart-initialize",
            "environment");

    private static final Map<String, String> STEPS = Map.of("spring.context.config-classes.parse", "parse",
            "spring.beans.instantiate", "instantiate", "spring.beans.smart-initialize", "smart-initialize",
            "spring.boot.application.environment-prepared", "environment");

    private static final String PREFIX = "STARTUP ";

    private static final String BEAN_PREFIX = "BEAN ";

    /** How many beans the summary lists. */
    private static final int BEANS = 12;

    private StartupSteps() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("--summary")) {
            System.out.print(summary(Path.of(args[1]), List.of(args).subList(2, args.length)));
            return;
        }
        long start = System.nanoTime();
        SpringApplication application = new SpringApplication(EndToEndApp.class);
        BufferingApplicationStartup startup = new BufferingApplicationStartup(100_000);
        application.setApplicationStartup(startup);
        application.run(args);
        Map<String, Long> figures = new LinkedHashMap<>();
        figures.put("run", (System.nanoTime() - start) / 1_000_000);
        figures.put("main-cpu", ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1_000_000);
        figures.putAll(selfTimes(startup.getBufferedTimeline().getEvents()));
        System.out.println(line(figures));
        beanTimes(startup.getBufferedTimeline().getEvents())
            .forEach((bean, micros) -> System.out.println(BEAN_PREFIX + micros + " " + bean));
        System.out.flush();
        // no close: Reactor Netty's graceful shutdown would only lengthen each start of the script
        Runtime.getRuntime().halt(0);
    }

    /** Milliseconds of each of {@link #STEPS}, summed over its occurrences, less its children's time. */
    static Map<String, Long> selfTimes(List<TimelineEvent> events) {
        Map<Long, Long> children = childNanos(events);
        Map<String, Long> nanos = new LinkedHashMap<>();
        STEPS.values().forEach(name -> nanos.put(name, 0L));
        for (TimelineEvent event : events) {
            StartupStep step = event.getStartupStep();
            String name = STEPS.get(step.getName());
            if (name != null) {
                nanos.merge(name, event.getDuration().toNanos() - children.getOrDefault(step.getId(), 0L), Long::sum);
            }
        }
        Map<String, Long> millis = new LinkedHashMap<>();
        nanos.forEach((name, value) -> millis.put(name, value / 1_000_000));
        return millis;
    }

    /**
     * Microseconds Spring took to make each bean, less the beans made inside it, by the name the
     * bean was asked for (an alias or a factory bean's {@code &} name is a name of its own).
     */
    static Map<String, Long> beanTimes(List<TimelineEvent> events) {
        Map<Long, Long> children = childNanos(events);
        Map<String, Long> micros = new TreeMap<>();
        for (TimelineEvent event : events) {
            StartupStep step = event.getStartupStep();
            if (step.getName().equals("spring.beans.instantiate")) {
                for (StartupStep.Tag tag : step.getTags()) {
                    if (tag.getKey().equals("beanName")) {
                        long self = event.getDuration().toNanos() - children.getOrDefault(step.getId(), 0L);
                        micros.merge(tag.getValue(), self / 1_000, Long::sum);
                    }
                }
            }
        }
        return micros;
    }

    /** The nanoseconds of each step's children, by the step's id. */
    private static Map<Long, Long> childNanos(List<TimelineEvent> events) {
        Map<Long, Long> children = new HashMap<>();
        for (TimelineEvent event : events) {
            Long parent = event.getStartupStep().getParentId();
            if (parent != null) {
                children.merge(parent, event.getDuration().toNanos(), Long::sum);
            }
        }
        return children;
    }

    static String line(Map<String, Long> figures) {
        StringBuilder line = new StringBuilder(PREFIX);
        for (String figure : FIGURES) {
            line.append(figure).append('=').append(figures.getOrDefault(figure, 0L)).append(' ');
        }
        return line.toString().trim();
    }

    static Map<String, Long> parse(String line) {
        Map<String, Long> figures = new LinkedHashMap<>();
        for (String pair : line.substring(PREFIX.length()).split(" ")) {
            int equals = pair.indexOf('=');
            figures.put(pair.substring(0, equals), Long.parseLong(pair.substring(equals + 1)));
        }
        return figures;
    }

    /**
     * A Markdown table: per configuration, the median of each figure and, after it, the median
     * over turns of the difference to the first configuration's start in the same turn; then the
     * same for the {@value #BEANS} beans whose added time is largest, either way.
     */
    static String summary(Path directory, List<String> configs) throws IOException {
        Map<String, Map<Integer, Map<String, Long>>> starts = new LinkedHashMap<>();
        Map<String, Map<Integer, Map<String, Long>>> beans = new LinkedHashMap<>();
        for (String config : configs) {
            Map<Integer, Map<String, Long>> turns = new TreeMap<>();
            Map<Integer, Map<String, Long>> beanTurns = new TreeMap<>();
            try (var files = Files.list(directory)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String name = file.getFileName().toString();
                    if (name.matches(Pattern.quote(config) + "-\\d+\\.txt")) {
                        int turn = Integer.parseInt(name.substring(config.length() + 1, name.length() - 4));
                        Map<String, Long> beanMicros = new HashMap<>();
                        for (String line : Files.readAllLines(file)) {
                            if (line.startsWith(PREFIX)) {
                                turns.putIfAbsent(turn, parse(line));
                            }
                            else if (line.startsWith(BEAN_PREFIX)) {
                                String[] parts = line.substring(BEAN_PREFIX.length()).split(" ", 2);
                                beanMicros.put(parts[1], Long.parseLong(parts[0]));
                            }
                        }
                        if (turns.containsKey(turn)) {
                            beanTurns.putIfAbsent(turn, beanMicros);
                        }
                    }
                }
            }
            starts.put(config, turns);
            beans.put(config, beanTurns);
        }
        List<String> columns = new ArrayList<>(List.of("starts"));
        FIGURES.forEach(figure -> columns.addAll(List.of(figure + " ms", "added")));
        StringBuilder table = header("configuration", columns);
        for (String config : configs) {
            table.append("| ").append(config).append(" | ").append(starts.get(config).size()).append(" |");
            for (String figure : FIGURES) {
                Spread spread = spread(starts.get(config), starts.get(configs.get(0)), figure);
                table.append(' ').append(spread.median()).append(" | ").append(signed(spread.added())).append(" |");
            }
            table.append('\n');
        }
        return table.append(beanTable(beans, configs)).toString();
    }

    /**
     * The beans whose time differs most from the first configuration's, in microseconds read as
     * milliseconds with one decimal: per configuration the median and the median added.
     */
    private static String beanTable(Map<String, Map<Integer, Map<String, Long>>> beans, List<String> configs) {
        if (configs.size() < 2) {
            return "";
        }
        Set<String> names = new TreeSet<>();
        beans.values().forEach(turns -> turns.values().forEach(micros -> names.addAll(micros.keySet())));
        Map<String, Long> largest = new HashMap<>();
        for (String name : names) {
            for (String config : configs.subList(1, configs.size())) {
                long added = Math.abs(spread(beans.get(config), beans.get(configs.get(0)), name).added());
                largest.merge(name, added, Math::max);
            }
        }
        List<String> listed = names.stream()
            .filter(name -> largest.getOrDefault(name, 0L) > 0)
            .sorted(Comparator.comparing((String name) -> largest.get(name)).reversed())
            .limit(BEANS)
            .toList();
        if (listed.isEmpty()) {
            return "";
        }
        StringBuilder table = new StringBuilder("\n").append(header("bean, ms (added)", configs));
        for (String name : listed) {
            table.append("| ").append(name).append(" |");
            for (String config : configs) {
                Spread spread = spread(beans.get(config), beans.get(configs.get(0)), name);
                String added = millis(spread.added());
                table.append(' ').append(millis(spread.median())).append(" (")
                    .append(added.startsWith("-") ? added : "+" + added).append(") |");
            }
            table.append('\n');
        }
        return table.toString();
    }

    /** A Markdown table's header: a left-aligned first column, the others right-aligned. */
    private static StringBuilder header(String first, List<String> columns) {
        StringBuilder header = new StringBuilder("| ").append(first).append(" |");
        columns.forEach(column -> header.append(' ').append(column).append(" |"));
        header.append("\n| --- |");
        columns.forEach(column -> header.append(" ---: |"));
        return header.append('\n');
    }

    /** The median of one figure over a configuration's turns, and the median of its differences to the reference. */
    private static Spread spread(Map<Integer, Map<String, Long>> turns, Map<Integer, Map<String, Long>> reference,
            String figure) {
        List<Long> values = new ArrayList<>();
        List<Long> added = new ArrayList<>();
        turns.forEach((turn, figures) -> {
            long value = figures.getOrDefault(figure, 0L);
            values.add(value);
            if (reference.containsKey(turn)) {
                added.add(value - reference.get(turn).getOrDefault(figure, 0L));
            }
        });
        return new Spread(median(values), median(added));
    }

    private record Spread(long median, long added) {
    }

    private static String signed(long value) {
        return (value >= 0 ? "+" : "") + value;
    }

    /** Microseconds as milliseconds with one decimal; what rounds to zero has no sign. */
    private static String millis(long micros) {
        String millis = String.format(Locale.ROOT, "%.1f", micros / 1000.0);
        return millis.equals("-0.0") ? "0.0" : millis;
    }

    static long median(List<Long> values) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

}
