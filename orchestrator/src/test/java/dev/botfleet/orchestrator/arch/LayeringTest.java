package dev.botfleet.orchestrator.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.store.JdbcCapacityRepository;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DESIGN "Layout": {@code api}, {@code web}, {@code cli}, {@code store} → domain packages → nothing
 * of ours but {@code common}. The domain stays free of transport, persistence, metrics and CLI
 * libraries, so every rule can be tested with plain objects and an injected clock.
 */
class LayeringTest {
  private static final String ROOT = "dev.botfleet.orchestrator";

  /**
   * Technology the domain must not see: gRPC, JDBC, metrics, pooling, migrations, CLI, generated
   * API.
   */
  private static final String[] TECHNOLOGY = {
    "io.grpc..",
    "com.google.protobuf..",
    "java.sql..",
    "javax.sql..",
    "io.micrometer..",
    "com.zaxxer..",
    "org.flywaydb..",
    "picocli..",
    "dev.botfleet.proto..",
    "com.sun.net.httpserver..",
    "org.h2..",
    "org.postgresql.."
  };

  /** Our adapters: they depend on the domain, never the other way round. */
  private static final String[] ADAPTERS = {
    ROOT + ".api..", ROOT + ".store..", ROOT + ".web..", ROOT + ".cli..", ROOT + ".metrics.."
  };

  private static JavaClasses classes;

  /** Domain packages, present and planned: a package that does not exist yet passes vacuously. */
  static List<String> domainPackages() {
    return List.of(
        "admin",
        "principals",
        "environments",
        "capacity",
        "licensing",
        "users",
        "flows",
        "metering",
        "machines",
        "hosted",
        "runs");
  }

  @BeforeAll
  static void importClasses() {
    // Only our classes are imported; the rules match dependencies by package name, so there is no
    // need to resolve gRPC, Netty or protobuf classes from the class path (that took seconds).
    ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
    try {
      // Import from where the main classes live (target/classes or the jar), not by scanning
      // every jar on the class path for the package.
      Location main =
          Location.of(Orchestrator.class.getProtectionDomain().getCodeSource().getLocation());
      classes =
          new ClassFileImporter()
              .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
              .withImportOption(location -> location.contains("/dev/botfleet/orchestrator/"))
              .importLocations(Set.of(main));
    } finally {
      ArchConfiguration.get().reset();
    }
  }

  @Test
  void the_import_sees_main_classes_and_no_tests() {
    assertThat(classes.contain(CapacityService.class)).isTrue();
    assertThat(classes.contain(JdbcCapacityRepository.class)).isTrue();
    assertThat(classes.contain(LayeringTest.class)).isFalse();
  }

  @Test
  void packages_are_free_of_cycles() {
    // One package a slice (admin, runs, api, store, ...): a cycle between two areas means neither
    // can be understood, tested or changed alone (issue 8). admin <-> environments was one.
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void the_rules_see_dependencies_on_libraries() {
    // A canary: the store does use JDBC, so a rule forbidding it must fail. If it passed, the
    // import would be missing dependencies and every rule below would pass vacuously.
    var canary =
        noClasses()
            .that()
            .resideInAPackage(ROOT + ".store..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("java.sql..");
    assertThatThrownBy(() -> canary.check(classes)).isInstanceOf(AssertionError.class);
  }

  @ParameterizedTest(
      name = "domain package {0} does not depend on gRPC, JDBC, metrics or CLI libraries")
  @MethodSource("domainPackages")
  void domain_does_not_depend_on_technology(String domain) {
    noClasses()
        .that()
        .resideInAPackage(ROOT + "." + domain + "..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(TECHNOLOGY)
        .because("DESIGN 'Layout': domain packages depend on nothing of ours but common")
        .allowEmptyShould(true)
        .check(classes);
  }

  @ParameterizedTest(
      name = "domain package {0} does not depend on api, store, web, cli, metrics or the wiring")
  @MethodSource("domainPackages")
  void domain_does_not_depend_on_adapters_or_wiring(String domain) {
    noClasses()
        .that()
        .resideInAPackage(ROOT + "." + domain + "..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ADAPTERS)
        .orShould()
        .dependOnClassesThat()
        .resideInAPackage(ROOT)
        .because(
            "DESIGN 'Layout': api, web, cli, store -> domain, never the reverse; Orchestrator wires the graph")
        .allowEmptyShould(true)
        .check(classes);
  }

  @Test
  void store_does_not_depend_on_api_web_or_cli() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".store..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ROOT + ".api..", ROOT + ".web..", ROOT + ".cli..")
        .check(classes);
  }
}
