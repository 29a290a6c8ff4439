package dev.tracing.benchmarks.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up tables: what a configuration adds, to a figure or to a bean's time, is the median of
 * its differences to the first configuration's start in the same turn, not the difference of the
 * medians.
 */
class StartupStepsTests {

    @Test
    void addedIsTheMedianOfTheDifferencesWithinEachTurn(@TempDir Path dir) throws Exception {
        // turn 2 ran in a slow phase of the machine: both starts took 3 s more
        write(dir, "none-1.txt", 5000, 1000);
        write(dir, "ours-1.txt", 5400, 1300);
        write(dir, "none-2.txt", 8000, 1000);
        write(dir, "ours-2.txt", 8500, 1250);
        write(dir, "none-3.txt", 5100, 1000);
        write(dir, "ours-3.txt", 5400, 1200);

        String table = StartupSteps.summary(dir, List.of("none", "ours"));

        assertThat(table.lines()).element(2).asString().startsWith("| none | 3 | 5100 | +0 |");
        // run: median 5400, added the median of +400, +500, +300; parse: 1250, +250
        assertThat(table.lines()).element(3).asString()
            .startsWith("| ours | 3 | 5400 | +400 |")
            .contains("| 1250 | +250 |");
    }

    @Test
    void theBeansThatDifferMostAreListedWithWhatEachConfigurationAdds(@TempDir Path dir) throws Exception {
        // ours makes a bean of its own and, in it, loads classes that none's adapter registry loads; a bean
        // made in one of ours' turns only; one that takes 30 µs less; one that takes the same
        write(dir, "none-1.txt", 5000, 1000, "BEAN 30000 webFluxAdapterRegistry", "BEAN 900 jsonMapper",
                "BEAN 1040 codecs");
        write(dir, "ours-1.txt", 5100, 1100, "BEAN 400 webFluxAdapterRegistry", "BEAN 900 jsonMapper",
                "BEAN 45000 traceExchangeFilterFunction", "BEAN 2000 lateBean", "BEAN 1000 codecs");
        write(dir, "none-2.txt", 5200, 1000, "BEAN 34000 webFluxAdapterRegistry", "BEAN 950 jsonMapper",
                "BEAN 1020 codecs");
        write(dir, "ours-2.txt", 5300, 1100, "BEAN 600 webFluxAdapterRegistry", "BEAN 950 jsonMapper",
                "BEAN 47000 traceExchangeFilterFunction", "BEAN 1000 codecs");

        List<String> lines = StartupSteps.summary(dir, List.of("none", "ours")).lines().toList();

        int header = lines.indexOf("| bean, ms (added) | none | ours |");
        assertThat(header).isPositive();
        // largest difference first, either way; a bean with none left out; what rounds to zero has no sign
        assertThat(lines.subList(header + 2, lines.size())).containsExactly(
                "| traceExchangeFilterFunction | 0.0 (+0.0) | 46.0 (+46.0) |",
                "| webFluxAdapterRegistry | 32.0 (+0.0) | 0.5 (-31.5) |",
                "| lateBean | 0.0 (+0.0) | 1.0 (+1.0) |",
                "| codecs | 1.0 (+0.0) | 1.0 (+0.0) |");
        // with one configuration there is nothing to compare
        assertThat(StartupSteps.summary(dir, List.of("none"))).doesNotContain("| bean");
    }

    @Test
    void aStartsLineReadsBackAsItsFigures() {
        Map<String, Long> figures = new LinkedHashMap<>();
        StartupSteps.FIGURES.forEach(figure -> figures.put(figure, (long) figure.length()));

        assertThat(StartupSteps.parse(StartupSteps.line(figures))).isEqualTo(figures);
    }

    private static void write(Path dir, String name, long run, long parse, String... beanLines) throws Exception {
        Map<String, Long> figures = new LinkedHashMap<>();
        StartupSteps.FIGURES.forEach(figure -> figures.put(figure, 0L));
        figures.put("run", run);
        figures.put("parse", parse);
        Files.writeString(dir.resolve(name),
                "log line\n" + StartupSteps.line(figures) + "\n" + String.join("\n", beanLines) + "\n");
    }

}
