package dev.tracing.test;

import java.util.List;

/** The message of a strict-mode failure. */
final class StrictFailures {

    private StrictFailures() {
    }

    static String message(List<String> problems) {
        StringBuilder out = new StringBuilder("Tracing left open by this test (strict mode):");
        int i = 1;
        for (String problem : problems) {
            out.append(System.lineSeparator()).append(i++).append(". ").append(problem);
        }
        return out.toString().stripTrailing();
    }

}
