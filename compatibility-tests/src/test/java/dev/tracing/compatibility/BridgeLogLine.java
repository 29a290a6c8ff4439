package dev.tracing.compatibility;

import org.springframework.boot.test.system.CapturedOutput;

import static org.assertj.core.api.Assertions.assertThat;

/** The one start-up line that says a bridge on the classpath is not used. */
final class BridgeLogLine {

    private BridgeLogLine() {
    }

    static void assertLoggedOnce(CapturedOutput output, String bridge) {
        assertThat(output.getOut().lines()
            .filter(line -> line.contains("bridge on the classpath is not used")))
            .singleElement()
            .satisfies(line -> assertThat(line).contains("Micrometer Tracing " + bridge + " bridge"));
    }

}
