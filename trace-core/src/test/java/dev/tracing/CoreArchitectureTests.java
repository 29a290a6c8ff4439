package dev.tracing;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering of trace-core, checked on its compiled classes: no Spring, the tracer core depends
 * on nothing else of ours but the internal utilities, those depend on nothing of ours, and no
 * two packages depend on each other.
 */
class CoreArchitectureTests {

    private static final JavaClasses CLASSES = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tracing");

    @Test
    void traceCoreKnowsNothingOfSpring() {
        noClasses().should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.springframework..")
            .because("trace-core is the tracer alone; Spring is the starter's business")
            .check(CLASSES);
    }

    @Test
    void theTracerCoreDependsOnNothingElseOfOursButTheInternalUtilities() {
        noClasses().that()
            .resideInAPackage("dev.tracing.core..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.tracing.context..", "dev.tracing.export..", "dev.tracing.propagation..")
            .check(CLASSES);
    }

    @Test
    void theInternalUtilitiesDependOnNothingOfOurs() {
        noClasses().that()
            .resideInAPackage("dev.tracing.internal..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.tracing.core..", "dev.tracing.context..", "dev.tracing.export..",
                    "dev.tracing.propagation..")
            .check(CLASSES);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.tracing.(**)").should().beFreeOfCycles().check(CLASSES);
    }

}
