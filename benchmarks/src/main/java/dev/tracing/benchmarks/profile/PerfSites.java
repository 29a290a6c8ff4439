package dev.tracing.benchmarks.profile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU time per request by owner and by method, from a {@code perf} profile of the in-memory request
 * benchmark ({@code perf script} text of a {@code perf record -g} run, the JIT's code named through the
 * JVM's perf map), as {@code benchmarks/cpu-profile.sh} makes. Each sample goes to the first frame of
 * JIT-compiled Java code outside the JDK, counted from the leaf (what the JIT inlined into a method is
 * that method's), and that frame's class to an owner as in {@link CpuShares}; a sample with no such
 * frame goes to the JVM or the JDK, by thread for the JVM's own threads (the garbage collector, the
 * compiler). Samples become microseconds per request through the benchmark's score: the thread with
 * the most samples is the benchmark's, and its samples are the score's time.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.profile.PerfSites \
 *     benchmarks/target/cpu-profile/ours-limited.txt 39.0 [benchmarks/target/cpu-profile/none.txt 33.6]
 * </pre>
 *
 * With a second profile and score, prints the first against the second: what each owner and method
 * adds per request. On a shared machine whose speed changes from one run to the next, a share (of the
 * benchmark thread's time, printed for one profile) is steadier than a time.
 */
public final class PerfSites {

    private static final int TOP_METHODS = 30;

    /** A frame line: address, symbol (a Java method's signature from the perf map), offset, object. */
    private static final Pattern FRAME = Pattern.compile("^\\s*[0-9a-f]+ (.*?)(\\+0x[0-9a-f]+)? \\((.*)\\)$");

    /** A sample's header: the thread's name (up to 15 characters, may hold spaces), its id, the time. */
    private static final Pattern HEADER = Pattern.compile("^(.*?)\\s+\\d+(/\\d+)?\\s+[\\d.]+:");

    /** The JIT's names for a lambda's class carry a counter and an address that differ between JVMs. */
    private static final Pattern LAMBDA = Pattern.compile("\\$\\$Lambda\\$\\d+/0x[0-9a-f]+");

    static final String JVM_OR_JDK = "(the JVM or the JDK only)";

    private PerfSites() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 4) {
            System.err.println("usage: PerfSites <perf-script.txt> <µs per request> [<other.txt> <µs per request>]");
            System.exit(2);
        }
        Profile profile = Profile.read(Path.of(args[0]), Double.parseDouble(args[1]));
        Profile base = args.length == 4 ? Profile.read(Path.of(args[2]), Double.parseDouble(args[3])) : null;
        report(profile, base, System.out);
    }

    static void report(Profile profile, Profile base, PrintStream out) {
        out.printf("%s: %d samples, %d of the benchmark's thread (%s), %.1f µs per request%n", profile.name,
                profile.samples, profile.benchmarkSamples, profile.benchmarkThread, profile.microsPerRequest);
        if (base != null) {
            out.printf("against %s: %d samples, %d of the benchmark's thread, %.1f µs per request%n", base.name,
                    base.samples, base.benchmarkSamples, base.microsPerRequest);
        }
        out.println();
        table(out, "owner of the first frame outside the JDK", profile.byOwner, base == null ? null : base.byOwner,
                profile.microsPerRequest, Integer.MAX_VALUE);
        out.println();
        table(out, "method (with what the JIT inlined into it)", profile.byMethod,
                base == null ? null : base.byMethod, profile.microsPerRequest, TOP_METHODS);
    }

    private static void table(PrintStream out, String title, Map<String, Double> micros, Map<String, Double> base,
            double microsPerRequest, int limit) {
        Set<String> keys = new HashSet<>(micros.keySet());
        if (base != null) {
            keys.addAll(base.keySet());
            out.println("  added   base   this  " + title + " (µs per request)");
        }
        else {
            out.println("   this  share  " + title + " (µs per request; share of the benchmark thread's time)");
        }
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort((a, b) -> Double.compare(added(b, micros, base), added(a, micros, base)));
        for (String key : sorted.subList(0, Math.min(limit, sorted.size()))) {
            double value = micros.getOrDefault(key, 0.0);
            if (base != null) {
                out.printf("%+7.2f %6.2f %6.2f  %s%n", added(key, micros, base), base.getOrDefault(key, 0.0), value,
                        key);
            }
            else {
                out.printf("%7.2f %5.1f%%  %s%n", value, 100.0 * value / microsPerRequest, key);
            }
        }
    }

    private static double added(String key, Map<String, Double> micros, Map<String, Double> base) {
        return micros.getOrDefault(key, 0.0) - (base == null ? 0.0 : base.getOrDefault(key, 0.0));
    }

    /** One profile's samples in microseconds per request, by owner and by method. */
    static final class Profile {

        final String name;

        final double microsPerRequest;

        final Map<String, Double> byOwner = new HashMap<>();

        final Map<String, Double> byMethod = new HashMap<>();

        long samples;

        long benchmarkSamples;

        String benchmarkThread;

        private Profile(String name, double microsPerRequest) {
            this.name = name;
            this.microsPerRequest = microsPerRequest;
        }

        static Profile read(Path perfScript, double microsPerRequest) throws IOException {
            Profile profile = new Profile(perfScript.getFileName().toString(), microsPerRequest);
            Map<String, Long> owners = new HashMap<>();
            Map<String, Long> methods = new HashMap<>();
            Map<String, Long> threads = new HashMap<>();
            try (BufferedReader reader = Files.newBufferedReader(perfScript)) {
                String thread = null;
                String site = null;
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isBlank()) {
                        if (thread != null) {
                            profile.count(thread, site, owners, methods, threads);
                        }
                        thread = null;
                        site = null;
                    }
                    else if (!Character.isWhitespace(line.charAt(0))) {
                        // the sample's header: the thread's name (up to 15 characters, may hold spaces), its id, ...
                        thread = threadName(line);
                    }
                    else if (site == null) {
                        site = javaMethodOutsideJdk(line);
                    }
                }
                if (thread != null) {
                    profile.count(thread, site, owners, methods, threads);
                }
            }
            Map.Entry<String, Long> busiest = threads.entrySet()
                .stream()
                .max(Map.Entry.comparingByValue())
                .orElseThrow(() -> new IllegalArgumentException("no samples in " + perfScript));
            profile.benchmarkThread = busiest.getKey();
            profile.benchmarkSamples = busiest.getValue();
            double microsPerSample = microsPerRequest / busiest.getValue();
            owners.forEach((owner, count) -> profile.byOwner.put(owner, count * microsPerSample));
            methods.forEach((method, count) -> profile.byMethod.put(method, count * microsPerSample));
            return profile;
        }

        private void count(String thread, String site, Map<String, Long> owners, Map<String, Long> methods,
                Map<String, Long> threads) {
            samples++;
            threads.merge(thread, 1L, Long::sum);
            String owner;
            if (site != null) {
                owner = CpuShares.ownerOf(typeOf(site));
                methods.merge(site, 1L, Long::sum);
            }
            else {
                owner = JVM_OR_JDK + " " + thread.replaceAll("[#\\d]+$", "").trim();
            }
            owners.merge(owner, 1L, Long::sum);
        }

    }

    static String threadName(String header) {
        // "<thread name> <pid>/<tid> <time>: ..." or "<thread name> <tid> <time>: ..."
        Matcher matcher = HEADER.matcher(header);
        return matcher.find() ? matcher.group(1) : header.trim();
    }

    /** The method of a frame of JIT-compiled code outside the JDK, or null for any other frame. */
    static String javaMethodOutsideJdk(String frameLine) {
        Matcher frame = FRAME.matcher(frameLine);
        if (!frame.matches() || !frame.group(3).contains("perf-")) {
            return null;
        }
        String symbol = frame.group(1);
        int parameters = symbol.indexOf('(');
        String method = parameters < 0 ? symbol : symbol.substring(0, parameters);
        method = method.substring(method.lastIndexOf(' ') + 1);
        if (method.isEmpty() || AllocationSites.isJdk(method) || method.indexOf('.') < 0) {
            return null;
        }
        return LAMBDA.matcher(method).replaceAll("\\$\\$Lambda");
    }

    private static String typeOf(String method) {
        int dot = method.lastIndexOf('.');
        return dot < 0 ? method : method.substring(0, dot);
    }

}
