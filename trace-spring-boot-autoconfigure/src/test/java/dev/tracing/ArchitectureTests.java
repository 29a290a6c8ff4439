package dev.tracing;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.tracing.context.ReactorTracing;
import dev.tracing.context.TraceContextThreadLocalAccessor;
import dev.tracing.core.RuleSampling;
import dev.tracing.core.Sampler;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering of the starter, checked on the compiled classes of this module and trace-core:
 * instrumentation talks to the tracer through the Micrometer Tracing API only (so it runs the
 * same on our tracer, Brave or OpenTelemetry), and no two packages depend on each other.
 */
class ArchitectureTests {

    private static final JavaClasses CLASSES = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tracing");

    /**
     * What instrumentation may use of ours besides the Micrometer API: the Reactor Context key
     * and helper of {@code dev.tracing.context} (the scope manager's public face), the internal
     * utilities (the HTTP token check), and the sampling face of the tracer ({@link Sampler} and
     * {@link RuleSampling}, which sampling rules hand to a span builder when it is ours, and skip
     * on another tracer's). Never the tracer, its spans, exporters or formats.
     */
    @Test
    void instrumentationUsesTheMicrometerApiNotTheTracersInternals() {
        noClasses().that()
            .resideInAPackage("dev.tracing.instrument..")
            .should()
            .dependOnClassesThat(resideInAnyPackage("dev.tracing.core..", "dev.tracing.export..",
                    "dev.tracing.propagation..")
                .and(not(type(Sampler.class)))
                .and(not(type(RuleSampling.class))))
            .check(CLASSES);
    }

    @Test
    void ofTheScopeManagerInstrumentationUsesOnlyItsPublicFace() {
        noClasses().that()
            .resideInAPackage("dev.tracing.instrument..")
            .should()
            .dependOnClassesThat(resideInAPackage("dev.tracing.context..")
                .and(not(type(ReactorTracing.class)))
                .and(not(type(TraceContextThreadLocalAccessor.class))))
            .check(CLASSES);
    }

    @Test
    void instrumentationKnowsNothingOfTheAutoConfigurationOrTheEndpoint() {
        noClasses().that()
            .resideInAPackage("dev.tracing.instrument..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.tracing.autoconfigure..", "dev.tracing.actuate..")
            .check(CLASSES);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.tracing.(**)").should().beFreeOfCycles().check(CLASSES);
    }

}
