package dev.tracing.test;

import java.util.List;

import dev.tracing.kitexamples.BeforeAllInjectedExamples;
import dev.tracing.kitexamples.ConstructorInjectedExamples;
import dev.tracing.kitexamples.LateSpanSpringExamples;
import dev.tracing.kitexamples.LeakingSpringExamples;
import dev.tracing.kitexamples.LeakingUnitExamples;
import dev.tracing.kitexamples.NonStrictSpringExamples;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * A deliberately unended span and a deliberately leaked scope each fail their test, with a
 * message naming the line that started or opened them; a test that cleans up passes. Runs the
 * examples through the JUnit engine, as the build would.
 */
class StrictModeTests {

    @Test
    void inASpringTestALeakFailsTheTestNamingWhereItBegan() {
        assertLeaksFail(LeakingSpringExamples.class, "LeakingSpringExamples.java");
    }

    @Test
    void inAUnitTestALeakFailsTheTestNamingWhereItBegan() {
        assertLeaksFail(LeakingUnitExamples.class, "LeakingUnitExamples.java");
    }

    private static void assertLeaksFail(Class<?> examples, String source) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(examples)).execute().testEvents();
        tests.assertStatistics(stats -> stats.started(3).succeeded(1).failed(2));
        assertThat(failure(tests, "leavesASpanOpen")).contains("span \"forgotten\"")
            .contains("never ended")
            .contains(examples.getName() + ".leavesASpanOpen(" + source);
        assertThat(failure(tests, "leavesAScopeOpen")).contains("scope of")
            .contains("never closed")
            .contains(examples.getName() + ".leavesAScopeOpen(" + source)
            .doesNotContain("forgotten")
            // the kit's own clean-up of the leaked context is not one more leak
            .doesNotContain("clearing");
    }

    @Test
    void aTracerTakenByTheConstructorIsEachTestsOwn() {
        Events tests = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(ConstructorInjectedExamples.class))
            .execute()
            .testEvents();
        tests.assertStatistics(stats -> stats.started(3).succeeded(2).failed(1));
        assertThat(failure(tests, "leavesASpanOpen")).contains("span \"forgotten\"").contains("never ended");
    }

    @Test
    void aTracerCannotBeSharedByTheWholeClass() {
        Events containers = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(BeforeAllInjectedExamples.class))
            .execute()
            .containerEvents();
        assertThat(containers.failed().stream()
            .map(event -> event.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                .map(Throwable::getMessage)
                .orElse(""))
            .toList()).anySatisfy(message -> assertThat(message).contains("A TestTracer is made for one test method"));
    }

    @Test
    void withStrictModeOffALeakedContextIsStillClearedForTheNextTest() {
        Events tests = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(NonStrictSpringExamples.class))
            .execute()
            .testEvents();
        tests.assertStatistics(stats -> stats.started(2).succeeded(2));
    }

    @Test
    void aSpanOfAnEarlierTestThatArrivesLateIsNotALaterTests() {
        Events tests = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(LateSpanSpringExamples.class))
            .execute()
            .testEvents();
        tests.assertStatistics(stats -> stats.started(3).succeeded(3));
    }

    private static String failure(Events tests, String method) {
        List<Event> failed = tests.failed()
            .stream()
            .filter(event -> event.getTestDescriptor().getDisplayName().startsWith(method))
            .toList();
        assertThat(failed).as("failures of %s", method).hasSize(1);
        return failed.get(0)
            .getPayload(org.junit.platform.engine.TestExecutionResult.class)
            .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
            .map(Throwable::getMessage)
            .orElseThrow();
    }

}
