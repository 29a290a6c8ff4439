package dev.tracing.benchmarks.e2e;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
 * <p>Run with the interpreter only ({@code -Xint}, the script's default), these figures measure
 * the work a start-up does: on a shared 2-core machine a start with the JIT compilers moves by
 * hundreds of milliseconds from one to the next, while interpreted starts agree within a few
 * percent in a steady phase of the machine.
 */
public final class StartupSteps {

    /** The figures of one start, in the order they are printed. */
    static final List<String> FIGURES = List.of("run", "main-cpu", "parse", "instantiate", "smart-initialize",
            "environment");

    private static final Map<String, String> STEPS = Map.of("spring.context.config-classes.parse", "parse",
            "spring.beans.instantiate", "instantiate", "spring.beans.smart-initialize", "smart-initialize",
            "spring.boot.application.environment-prepared", "environment");

    private static final String PREFIX = "STARTUP ";

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
        System.out.flush();
        // no close: Reactor Netty's graceful shutdown would only lengthen each start of the script
        Runtime.getRuntime().halt(0);
    }

    /** Milliseconds of each of {@link #STEPS}, summed over its occurrences, less its children's time. */
    static Map<String, Long> selfTimes(List<TimelineEvent> events) {
        Map<Long, Long> children = new HashMap<>();
        for (TimelineEvent event : events) {
            Long parent = event.getStartupStep().getParentId();
            if (parent != null) {
                children.merge(parent, event.getDuration().toNanos(), Long::sum);
            }
        }
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
     * over turns of the difference to the first configuration's start in the same turn.
     */
    static String summary(Path directory, List<String> configs) throws IOException {
        Map<String, Map<Integer, Map<String, Long>>> starts = new LinkedHashMap<>();
        for (String config : configs) {
            Map<Integer, Map<String, Long>> turns = new TreeMap<>();
            try (var files = Files.list(directory)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String name = file.getFileName().toString();
                    if (name.matches(java.util.regex.Pattern.quote(config) + "-\\d+\\.txt")) {
                        int turn = Integer.parseInt(name.substring(config.length() + 1, name.length() - 4));
                        Files.readAllLines(file)
                            .stream()
                            .filter(line -> line.startsWith(PREFIX))
                            .findFirst()
                            .ifPresent(line -> turns.put(turn, parse(line)));
                    }
                }
            }
            starts.put(config, turns);
        }
        Map<Integer, Map<String, Long>> reference = starts.get(configs.get(0));
        StringBuilder table = new StringBuilder("| configuration | starts |");
        FIGURES.forEach(figure -> table.append(' ').append(figure).append(" ms | added |"));
        table.append("\n| --- | ---: |");
        FIGURES.forEach(figure -> table.append(" ---: | ---: |"));
        table.append('\n');
        for (String config : configs) {
            Map<Integer, Map<String, Long>> turns = starts.get(config);
            table.append("| ").append(config).append(" | ").append(turns.size()).append(" |");
            for (String figure : FIGURES) {
                List<Long> values = new ArrayList<>();
                List<Long> added = new ArrayList<>();
                turns.forEach((turn, figures) -> {
                    values.add(figures.get(figure));
                    if (reference.containsKey(turn)) {
                        added.add(figures.get(figure) - reference.get(turn).get(figure));
                    }
                });
                table.append(' ').append(median(values)).append(" | ");
                long addedMedian = median(added);
                table.append(addedMedian >= 0 ? "+" : "").append(addedMedian).append(" |");
            }
            table.append('\n');
        }
        return table.toString();
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
