package dev.tracing.sample;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The sample is what users copy: it uses the Micrometer Tracing API, nothing of the starter's own. */
class SampleArchitectureTests {

    @Test
    void theSampleImportsNothingOfTheStarter() {
        noClasses().that()
            .resideInAPackage("dev.tracing.sample..")
            .should()
            .dependOnClassesThat(resideInAPackage("dev.tracing..").and(not(resideInAPackage("dev.tracing.sample.."))))
            .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.tracing.sample"));
    }

}
