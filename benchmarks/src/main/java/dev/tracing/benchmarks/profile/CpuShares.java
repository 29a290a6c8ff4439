package dev.tracing.benchmarks.profile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where an application's CPU goes, from the execution samples ({@code jdk.ExecutionSample}) of JFR
 * recordings such as {@code JFR=1 benchmarks/e2e.sh} writes: each sample is given to the first frame
 * of its stack outside the JDK ({@code java.}, {@code jdk.}, {@code sun.}), and that frame's class to
 * an owner (Spring, Netty, Reactor, the tracer, ...). Prints each owner's share of all samples, and
 * the tracer's classes with the largest shares.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.profile.CpuShares \
 *     benchmarks/target/e2e/ours-limited-front-1.jfr [more recordings of the same configuration]
 * </pre>
 *
 * <p>Samples are what the JVM saw running Java code at a safepoint-free interval (20 ms per thread in
 * JFR's {@code profile} settings); a share is a proportion, steadier under a shared machine's changing
 * speed than a time, which is why the end-to-end tables read CPU from both.
 */
public final class CpuShares {

    private static final int TOP_CLASSES = 12;

    static final String TRACER = "the tracer and its instrumentation";

    /** Owners by class-name prefix, first match wins; anything else is "other". */
    private static final String[][] OWNERS = {
        { "dev.tracing.benchmarks.", "the application" },
        { "dev.tracing.", TRACER },
        { "brave.", TRACER },
        { "zipkin2.", TRACER },
        { "io.opentelemetry.", TRACER },
        { "io.micrometer.tracing.", TRACER },
        { "io.micrometer.observation.", "Micrometer Observation" },
        // the key values Observations are tagged with
        { "io.micrometer.common.", "Micrometer Observation" },
        { "io.micrometer.context.", "context-propagation" },
        { "reactor.util.context.", "Reactor Context" },
        { "reactor.netty.", "Netty and Reactor Netty" },
        { "io.netty.", "Netty and Reactor Netty" },
        { "reactor.", "Reactor core" },
        { "org.springframework.", "Spring (WebFlux, web, core)" },
        { "ch.qos.logback.", "Logback and the MDC" },
        { "org.slf4j.", "Logback and the MDC" },
        { "com.fasterxml.jackson.", "Jackson" },
        { "tools.jackson.", "Jackson" },
    };

    private CpuShares() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: CpuShares <recording.jfr>...");
            System.exit(2);
        }
        List<Path> recordings = new ArrayList<>();
        for (String arg : args) {
            recordings.add(Path.of(arg));
        }
        report(recordings, System.out);
    }

    static void report(List<Path> recordings, PrintStream out) throws IOException {
        Counts counts = count(recordings);
        out.printf("%d execution samples from %d recording(s)%n%n", counts.samples(), recordings.size());
        out.println("share  owner of the first frame outside the JDK");
        counts.byOwner()
            .entrySet()
            .stream()
            .filter(e -> e.getValue() > 0)
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .forEach(e -> out.printf("%5.1f%%  %s%n", counts.percent(e.getValue()), e.getKey()));
        out.println();
        out.println("share  the tracer's classes (first frame outside the JDK)");
        counts.tracerClasses()
            .entrySet()
            .stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(TOP_CLASSES)
            .forEach(e -> out.printf("%5.2f%%  %s%n", counts.percent(e.getValue()), e.getKey()));
    }

    /** Counts the execution samples of {@code recordings} by owner, and the tracer's by class. */
    static Counts count(List<Path> recordings) throws IOException {
        Map<String, Long> byOwner = new LinkedHashMap<>();
        for (String[] owner : OWNERS) {
            byOwner.putIfAbsent(owner[1], 0L);
        }
        Map<String, Long> tracerClasses = new HashMap<>();
        long samples = 0;
        for (Path recording : recordings) {
            try (RecordingFile file = new RecordingFile(recording)) {
                while (file.hasMoreEvents()) {
                    RecordedEvent event = file.readEvent();
                    if (!event.getEventType().getName().equals("jdk.ExecutionSample")
                            || event.getStackTrace() == null) {
                        continue;
                    }
                    samples++;
                    String type = firstOutsideJdk(event.getStackTrace().getFrames());
                    String owner = ownerOf(type);
                    byOwner.merge(owner, 1L, Long::sum);
                    if (owner.equals(TRACER)) {
                        tracerClasses.merge(type, 1L, Long::sum);
                    }
                }
            }
        }
        return new Counts(samples, byOwner, tracerClasses);
    }

    /** Execution samples in all, by owner, and the tracer's by class. */
    record Counts(long samples, Map<String, Long> byOwner, Map<String, Long> tracerClasses) {

        double percent(long count) {
            return 100.0 * count / Math.max(1, samples);
        }

    }

    private static String firstOutsideJdk(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            if (!AllocationSites.isJdk(type)) {
                return type;
            }
        }
        return "(the JDK only)";
    }

    static String ownerOf(String type) {
        for (String[] owner : OWNERS) {
            if (type.startsWith(owner[0])) {
                return owner[1];
            }
        }
        return type.equals("(the JDK only)") ? "the JDK only (no frame outside it)" : "other";
    }

}
