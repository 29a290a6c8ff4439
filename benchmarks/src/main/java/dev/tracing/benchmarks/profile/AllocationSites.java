package dev.tracing.benchmarks.profile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Bytes allocated per request, by site, from a JFR recording of an application run with
 * {@code -XX:-UseTLAB}: every allocation then takes the slow path and is one
 * {@code jdk.ObjectAllocationOutsideTLAB} event, so the figures are counts, not samples. Written
 * by {@code benchmarks/alloc-profile.sh}; run by hand to compare two of its tables:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.profile.AllocationSites \
 *     report recording.jfr requests sites.tsv
 * java -cp ... dev.tracing.benchmarks.profile.AllocationSites diff none.tsv ours.tsv
 * </pre>
 *
 * <p>A site is the allocated class and the first frame outside the JDK ({@code java.}, {@code jdk.},
 * {@code sun.}). A second table charges each allocation made below one of our frames
 * ({@code dev.tracing.}) to the first such frame from the top: what our code caused, wherever the
 * bytes were allocated. The recorder's and {@code jcmd}'s own threads are left out.
 */
public final class AllocationSites {

    private static final int TOP = 40;

    private AllocationSites() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 4 && args[0].equals("report")) {
            report(Path.of(args[1]), Long.parseLong(args[2]), Path.of(args[3]), System.out);
        }
        else if (args.length == 3 && args[0].equals("diff")) {
            diff(read(Path.of(args[1])), read(Path.of(args[2])), System.out);
        }
        else {
            System.err.println("usage: AllocationSites report <recording.jfr> <requests> <sites.tsv>"
                    + " | diff <base.tsv> <other.tsv>");
            System.exit(2);
        }
    }

    /**
     * Whether {@code type} is the JDK's own ({@code java.}, {@code jdk.}, {@code sun.}): a site is the
     * first frame of a stack that is not.
     */
    static boolean isJdk(String type) {
        return type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.");
    }

    static void report(Path recording, long requests, Path tsv, PrintStream out) throws IOException {
        Map<String, Long> bySite = new HashMap<>();
        Map<String, Long> byClass = new HashMap<>();
        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> byOurs = new HashMap<>();
        long total = 0;
        long events = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                String type = event.getEventType().getName();
                if (!type.equals("jdk.ObjectAllocationOutsideTLAB") && !type.equals("jdk.ObjectAllocationInNewTLAB")) {
                    continue;
                }
                String thread = event.getThread() == null ? "?" : event.getThread().getJavaName();
                if (thread == null || thread.startsWith("JFR ") || thread.equals("Attach Listener")) {
                    continue;
                }
                long size = event.getLong("allocationSize");
                String allocated = stable(event.getClass("objectClass").getName());
                List<RecordedFrame> frames = event.getStackTrace() == null ? List.of()
                        : event.getStackTrace().getFrames();
                String site = "(no frame outside the JDK)";
                String ours = null;
                for (RecordedFrame frame : frames) {
                    String owner = frame.getMethod().getType().getName();
                    if (!isJdk(owner) && site.startsWith("(")) {
                        site = name(frame);
                    }
                    if (owner.startsWith("dev.tracing.") && !owner.startsWith("dev.tracing.benchmarks.")) {
                        ours = name(frame);
                        break;
                    }
                }
                bySite.merge(allocated + " <- " + site, size, Long::sum);
                byClass.merge(allocated, size, Long::sum);
                byThread.merge(thread.replaceAll("-\\d+$", "-N"), size, Long::sum);
                if (ours != null) {
                    byOurs.merge(ours, size, Long::sum);
                }
                total += size;
                events++;
            }
        }
        out.printf("%d allocations, %d bytes, %d requests: %.0f B and %.1f objects per request%n", events, total,
                requests, (double) total / requests, (double) events / requests);
        print(out, "by thread", byThread, requests);
        print(out, "by allocated class", byClass, requests);
        print(out, "by site (allocated class <- first frame outside the JDK)", bySite, requests);
        print(out, "below our code, charged to our first frame from the top", byOurs, requests);
        List<String> lines = new ArrayList<>();
        lines.add("total\t" + (double) total / requests);
        bySite.forEach((site, bytes) -> lines.add(site + "\t" + (double) bytes / requests));
        byOurs.forEach((frame, bytes) -> lines.add("ours: " + frame + "\t" + (double) bytes / requests));
        Files.write(tsv, lines);
    }

    private static String name(RecordedFrame frame) {
        return stable(frame.getMethod().getType().getName()) + "." + frame.getMethod().getName() + ":"
                + frame.getLineNumber();
    }

    /** A lambda's class without the numbers that differ from one run to the next, so that runs compare. */
    private static String stable(String className) {
        int lambda = className.indexOf("$$Lambda");
        return lambda < 0 ? className : className.substring(0, lambda) + "$$Lambda";
    }

    private static void print(PrintStream out, String title, Map<String, Long> bytes, long requests) {
        out.println();
        out.println("== " + title + ", B/request");
        bytes.entrySet()
            .stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(TOP)
            .forEach(e -> out.printf("%8.0f  %s%n", (double) e.getValue() / requests, e.getKey()));
    }

    private static Map<String, Double> read(Path tsv) throws IOException {
        Map<String, Double> sites = new HashMap<>();
        for (String line : Files.readAllLines(tsv)) {
            int tab = line.lastIndexOf('\t');
            sites.put(line.substring(0, tab), Double.parseDouble(line.substring(tab + 1)));
        }
        return sites;
    }

    static void diff(Map<String, Double> base, Map<String, Double> other, PrintStream out) {
        TreeSet<String> keys = new TreeSet<>(base.keySet());
        keys.addAll(other.keySet());
        out.printf("total: %.0f -> %.0f B/request (%+.0f)%n", base.getOrDefault("total", 0.0),
                other.getOrDefault("total", 0.0), other.getOrDefault("total", 0.0) - base.getOrDefault("total", 0.0));
        for (boolean ours : new boolean[] { false, true }) {
            out.println();
            out.println(ours ? "== below our code (first frame of ours), B/request" : "== by site, B/request");
            keys.stream()
                .filter(k -> !k.equals("total") && k.startsWith("ours: ") == ours)
                .sorted((a, b) -> Double.compare(Math.abs(delta(base, other, b)), Math.abs(delta(base, other, a))))
                .limit(TOP)
                .forEach(k -> out.printf("%+8.0f  (%6.0f -> %6.0f)  %s%n", delta(base, other, k),
                        base.getOrDefault(k, 0.0), other.getOrDefault(k, 0.0), k));
        }
    }

    private static double delta(Map<String, Double> base, Map<String, Double> other, String key) {
        return other.getOrDefault(key, 0.0) - base.getOrDefault(key, 0.0);
    }

}
