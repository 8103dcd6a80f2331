package dev.botfleet.orchestrator.licensing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** DESIGN: domain packages import nothing of ours but common; no JDBC, gRPC or Micrometer. */
class LicensingPackageIsPureTest {

  @Test
  void licensing_depends_only_on_the_jdk_and_common() {
    JavaClasses licensing =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.botfleet.orchestrator.licensing");

    classes()
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "java..", "dev.botfleet.common..", "dev.botfleet.orchestrator.licensing..")
        .because("licensing is pure domain code (DESIGN: no gRPC, no JDBC, no Micrometer)")
        .check(licensing);
  }
}
