package dev.botfleet.orchestrator.licensing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.common.ErrorReason;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * L2: the matrix against the document. The expected tables below are transcribed again from [003],
 * row by row as the document prints them (the code holds them column by column), so a typo in
 * either fails. A cell reads {@code NO} (not included), {@code LIM} (included with limitations),
 * {@code IN} (included, no figure) or a number (included, that figure in the row's unit: requests
 * per day, bots, credits, MB).
 */
class EntitlementMatrixTest {

  private static final List<String> SEEDED_COLUMNS =
      List.of(
          "POWER_APPS_PREMIUM",
          "M365",
          "D365_PROFESSIONAL",
          "D365_ENTERPRISE",
          "D365_TEAM_MEMBER",
          "WINDOWS");
  private static final List<String> FREE_TRIAL_LEGACY_COLUMNS =
      List.of("FREE", "TRIAL", "PER_USER", "PER_FLOW");
  // Not in [003]: our decisions, documented in EntitlementMatrix's notes.
  private static final List<String> BEYOND_COLUMNS = List.of("PREMIUM", "P1", "P2", "DEVELOPER");

  @ParameterizedTest(name = "[003] seeded licenses: {0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # capability                 | PA premium | M365 | D365 pro | D365 ent | D365 TM | Windows
          DAILY_PPR                    | 40000      | 6000 | 40000    | 40000    | 6000    | NO
          STANDARD_CONNECTORS          | IN         | IN   | IN       | IN       | IN      | NO
          PREMIUM_CONNECTORS           | LIM        | NO   | LIM      | LIM      | LIM     | NO
          CUSTOM_CONNECTORS            | LIM        | NO   | LIM      | LIM      | LIM     | NO
          ATTENDED_RPA                 | NO         | NO   | NO       | NO       | NO      | LIM
          UNATTENDED_RPA               | NO         | NO   | NO       | NO       | NO      | NO
          HOSTED_RPA                   | NO         | NO   | NO       | NO       | NO      | NO
          BUSINESS_PROCESS_FLOWS       | LIM        | NO   | LIM      | LIM      | LIM     | NO
          ON_PREMISES_GATEWAYS         | LIM        | NO   | LIM      | LIM      | LIM     | NO
          PROCESS_MINING               | NO         | NO   | NO       | NO       | NO      | NO
          PROCESS_MINING_DATA_STORAGE  | NO         | NO   | NO       | NO       | NO      | NO
          AI_BUILDER_CREDITS           | 500        | NO   | NO       | NO       | NO      | NO
          DATAVERSE_DATABASE_STORAGE   | 250        | NO   | NO       | NO       | NO      | NO
          DATAVERSE_FILE_STORAGE       | 2048       | NO   | NO       | NO       | NO      | NO
          """)
  void l2_seeded_license_cells_match_the_document(
      Capability capability,
      String pap,
      String m365,
      String pro,
      String ent,
      String tm,
      String win) {
    assertRow(capability, SEEDED_COLUMNS, List.of(pap, m365, pro, ent, tm, win));
  }

  @ParameterizedTest(name = "[003] free / trial / legacy: {0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # capability                 | Free | Trial | Per-user | Per-flow
          # Trial's daily PPR cell is blank in [003]: 40000 is our reading (see the matrix note).
          DAILY_PPR                    | 6000 | 40000 | 40000    | 250000
          STANDARD_CONNECTORS          | IN   | IN    | IN       | IN
          PREMIUM_CONNECTORS           | NO   | IN    | IN       | IN
          CUSTOM_CONNECTORS            | NO   | IN    | IN       | IN
          ATTENDED_RPA                 | NO   | 1     | NO       | NO
          UNATTENDED_RPA               | NO   | 1     | NO       | NO
          HOSTED_RPA                   | NO   | NO    | NO       | NO
          BUSINESS_PROCESS_FLOWS       | NO   | IN    | IN       | IN
          ON_PREMISES_GATEWAYS         | NO   | IN    | IN       | IN
          PROCESS_MINING               | NO   | IN    | NO       | NO
          PROCESS_MINING_DATA_STORAGE  | NO   | NO    | NO       | NO
          AI_BUILDER_CREDITS           | NO   | NO    | NO       | NO
          DATAVERSE_DATABASE_STORAGE   | NO   | NO    | 250      | 50
          DATAVERSE_FILE_STORAGE       | NO   | NO    | 2048     | 200
          """)
  void l2_free_trial_and_legacy_cells_match_the_document(
      Capability capability, String free, String trial, String perUser, String perFlow) {
    assertRow(capability, FREE_TRIAL_LEGACY_COLUMNS, List.of(free, trial, perUser, perFlow));
  }

  @ParameterizedTest(name = "[beyond] columns [003] lacks: {0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # capability                 | Premium | P1    | P2    | Developer
          DAILY_PPR                    | 40000   | 40000 | 40000 | 6000
          STANDARD_CONNECTORS          | IN      | IN    | IN    | IN
          PREMIUM_CONNECTORS           | IN      | IN    | IN    | IN
          CUSTOM_CONNECTORS            | IN      | IN    | IN    | NO
          ATTENDED_RPA                 | 1       | NO    | NO    | NO
          UNATTENDED_RPA               | NO      | NO    | NO    | NO
          HOSTED_RPA                   | NO      | NO    | NO    | NO
          BUSINESS_PROCESS_FLOWS       | IN      | IN    | IN    | NO
          ON_PREMISES_GATEWAYS         | IN      | IN    | IN    | NO
          PROCESS_MINING               | IN      | NO    | NO    | NO
          PROCESS_MINING_DATA_STORAGE  | 50      | NO    | NO    | NO
          AI_BUILDER_CREDITS           | 5000    | NO    | NO    | NO
          DATAVERSE_DATABASE_STORAGE   | 250     | 250   | 250   | NO
          DATAVERSE_FILE_STORAGE       | 2048    | 2048  | 2048  | NO
          """)
  void l2_cells_of_license_types_without_a_column_in_the_document(
      Capability capability, String premium, String p1, String p2, String developer) {
    assertRow(capability, BEYOND_COLUMNS, List.of(premium, p1, p2, developer));
  }

  @Test
  void l2_the_expected_tables_cover_every_column_and_every_capability() {
    List<String> expected = new ArrayList<>();
    expected.addAll(SEEDED_COLUMNS);
    expected.addAll(FREE_TRIAL_LEGACY_COLUMNS);
    expected.addAll(BEYOND_COLUMNS);

    assertThat(EntitlementMatrix.columns())
        .extracting(EntitlementSource::name)
        .containsExactlyElementsOf(expected);
    Set<String> licenseNames = new HashSet<>();
    for (LicenseType license : LicenseType.values()) {
      licenseNames.add(license.name());
    }
    assertThat(expected).containsAll(licenseNames).contains("PER_FLOW").hasSize(14);
    // Each parameterized table above has one line per capability; 14 rows in [003].
    assertThat(Capability.values()).hasSize(14);
  }

  @ParameterizedTest(name = "[003] Applied to: {0} -> {1}")
  @CsvSource({
    "POWER_APPS_PREMIUM, USER",
    "M365, USER",
    "D365_PROFESSIONAL, USER",
    "D365_ENTERPRISE, USER",
    "D365_TEAM_MEMBER, USER",
    "WINDOWS, MACHINE",
    "FREE, USER",
    "TRIAL, USER",
    "PER_USER, USER",
    "PER_FLOW, CLOUD_FLOW",
    "PREMIUM, USER",
    "P1, USER",
    "P2, USER",
    "DEVELOPER, USER"
  })
  void l2_applied_to_row_matches_the_document(String column, AppliesTo appliesTo) {
    assertThat(source(column).appliesTo()).isEqualTo(appliesTo);
  }

  @ParameterizedTest
  @EnumSource(
      value = FlowPlan.class,
      names = {
        "PROCESS",
        "ASSOCIATED_TO_PROCESS",
        "PROCESS_INHERITED_FROM_MACHINE",
        "OWNER_LICENSES"
      })
  void l2_flow_plans_without_a_column_are_refused_by_lookup(FlowPlan plan) {
    assertThat(EntitlementMatrix.hasColumn(plan)).isFalse();
    assertThatThrownBy(() -> EntitlementMatrix.lookup(plan, Capability.PREMIUM_CONNECTORS))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.reason()).isEqualTo(ErrorReason.L2_NO_MATRIX_COLUMN);
              assertThat(e.getMessage()).contains(plan.name()).contains("expected");
            });
  }

  @Test
  void l2_cells_beyond_the_document_say_so_in_their_note() {
    for (LicenseType license : List.of(LicenseType.PREMIUM, LicenseType.P1, LicenseType.P2)) {
      for (Capability capability : Capability.values()) {
        assertThat(EntitlementMatrix.lookup(license, capability).note())
            .as("%s × %s", license, capability)
            .startsWith("[beyond]");
      }
    }
    assertThat(EntitlementMatrix.lookup(LicenseType.TRIAL, Capability.DAILY_PPR).note())
        .startsWith("[beyond]");
    assertThat(
            EntitlementMatrix.lookup(LicenseType.DEVELOPER, Capability.PREMIUM_CONNECTORS).note())
        .startsWith("[003]");
  }

  @Test
  void l2_included_with_limitations_cells_name_their_footnote() {
    assertThat(
            EntitlementMatrix.lookup(LicenseType.POWER_APPS_PREMIUM, Capability.PREMIUM_CONNECTORS)
                .note())
        .contains("Power App");
    assertThat(
            EntitlementMatrix.lookup(LicenseType.D365_ENTERPRISE, Capability.CUSTOM_CONNECTORS)
                .note())
        .contains("Dynamics 365 app");
    assertThat(EntitlementMatrix.lookup(LicenseType.WINDOWS, Capability.ATTENDED_RPA).note())
        .contains("no orchestration");
  }

  @Test
  void l3_daily_limit_is_the_sum_of_licenses() {
    assertThat(EntitlementMatrix.dailyRequestLimit(List.of(LicenseType.M365))).isEqualTo(6_000);
    assertThat(
            EntitlementMatrix.dailyRequestLimit(
                List.of(LicenseType.M365, LicenseType.D365_TEAM_MEMBER)))
        .isEqualTo(12_000);
    assertThat(
            EntitlementMatrix.dailyRequestLimit(
                List.of(LicenseType.M365, LicenseType.POWER_APPS_PREMIUM, LicenseType.PREMIUM)))
        .isEqualTo(86_000);
    assertThat(EntitlementMatrix.dailyRequestLimit(List.of())).isZero();
  }

  @Test
  void l3_a_license_type_held_twice_counts_once_and_windows_counts_nothing() {
    assertThat(
            EntitlementMatrix.dailyRequestLimit(
                List.of(LicenseType.PREMIUM, LicenseType.PREMIUM, LicenseType.WINDOWS)))
        .isEqualTo(40_000);
  }

  @Test
  void l3_every_license_type_has_a_daily_limit_in_the_matrix() {
    for (LicenseType license : EnumSet.complementOf(EnumSet.of(LicenseType.WINDOWS))) {
      assertThat(EntitlementMatrix.dailyRequestLimit(List.of(license)))
          .as("%s", license)
          .isPositive()
          .isEqualTo(EntitlementMatrix.lookup(license, Capability.DAILY_PPR).quantity());
    }
  }

  @Test
  void l3_null_licenses_are_refused() {
    List<LicenseType> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> EntitlementMatrix.dailyRequestLimit(withNull))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("licenses");
  }

  @ParameterizedTest(name = "P3: {0} process units on one flow give {1} requests a day")
  @CsvSource({"1, 250000", "2, 500000", "4, 1000000"})
  void p3_process_units_on_a_flow_stack(int units, long expected) {
    assertThat(EntitlementMatrix.PROCESS_DAILY_REQUESTS_PER_UNIT).isEqualTo(250_000);
    assertThat(EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS, units))
        .isEqualTo(expected);
  }

  @ParameterizedTest(name = "P7: {0} bots on the machine still give 250k")
  @CsvSource({"1", "3", "10"})
  void p7_inherited_plan_does_not_stack(int bots) {
    assertThat(
            EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS_INHERITED_FROM_MACHINE, bots))
        .isEqualTo(250_000);
  }

  @Test
  void p9_per_flow_is_one_plan_of_250k_that_does_not_stack() {
    assertThat(EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PER_FLOW, 1)).isEqualTo(250_000);
    assertThat(EntitlementMatrix.PER_FLOW_DAILY_REQUESTS)
        .isEqualTo(EntitlementMatrix.lookup(FlowPlan.PER_FLOW, Capability.DAILY_PPR).quantity());
    assertThat(EntitlementMatrix.PER_FLOW_MAX_PLANS_PER_FLOW).isEqualTo(1);
    assertThatThrownBy(() -> EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PER_FLOW, 2))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.reason()).isEqualTo(ErrorReason.P9_PER_FLOW_NOT_STACKABLE);
            });
  }

  @Test
  void p4_an_associated_flow_is_charged_to_its_parent_not_to_a_limit_of_its_own() {
    assertThatThrownBy(
            () -> EntitlementMatrix.flowDailyRequestLimit(FlowPlan.ASSOCIATED_TO_PROCESS, 1))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
              assertThat(e.reason()).isEqualTo(ErrorReason.P4_CHARGED_TO_PARENT);
            });
    assertThatThrownBy(() -> EntitlementMatrix.flowDailyRequestLimit(FlowPlan.OWNER_LICENSES, 1))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> assertThat(e.reason()).isEqualTo(ErrorReason.L3_CHARGED_TO_LICENSES));
    assertThatThrownBy(() -> EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS, 0))
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("units: 0 (expected: >= 1)");
  }

  @ParameterizedTest(name = "P3: {0} covers {1}: {2}")
  @CsvSource({
    "PROCESS, STANDARD_CONNECTORS, true",
    "PROCESS, PREMIUM_CONNECTORS, true",
    "PROCESS, CUSTOM_CONNECTORS, true",
    "PROCESS, UNATTENDED_RPA, true",
    "PROCESS, ATTENDED_RPA, false",
    "PROCESS, BUSINESS_PROCESS_FLOWS, false",
    "ASSOCIATED_TO_PROCESS, PREMIUM_CONNECTORS, true",
    "ASSOCIATED_TO_PROCESS, CUSTOM_CONNECTORS, true",
    "PROCESS_INHERITED_FROM_MACHINE, CUSTOM_CONNECTORS, true",
    "PROCESS_INHERITED_FROM_MACHINE, UNATTENDED_RPA, true",
    "PER_FLOW, PREMIUM_CONNECTORS, true",
    "PER_FLOW, CUSTOM_CONNECTORS, true",
    "PER_FLOW, UNATTENDED_RPA, false",
    "OWNER_LICENSES, STANDARD_CONNECTORS, false",
    "OWNER_LICENSES, PREMIUM_CONNECTORS, false"
  })
  void p3_what_a_flow_plan_covers_for_any_user(
      FlowPlan plan, Capability capability, boolean covered) {
    assertThat(EntitlementMatrix.flowPlanCovers(plan, capability)).isEqualTo(covered);
  }

  @Test
  void entitlement_refuses_a_quantity_on_a_cell_that_is_not_included() {
    assertThatThrownBy(() -> new Entitlement(Entitlement.Level.NOT_INCLUDED, 5, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quantity: 5 (expected: 0 for a capability that is not included)");
    assertThatThrownBy(() -> new Entitlement(Entitlement.Level.INCLUDED, -1, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quantity: -1 (expected: >= 0)");
  }

  private static void assertRow(Capability capability, List<String> columns, List<String> cells) {
    SoftAssertions soft = new SoftAssertions();
    for (int i = 0; i < columns.size(); i++) {
      EntitlementSource column = source(columns.get(i));
      Entitlement actual = EntitlementMatrix.lookup(column, capability);
      String cell = cells.get(i).trim();
      String where = column.name() + " × " + capability;
      switch (cell) {
        case "NO" -> {
          soft.assertThat(actual.level()).as(where).isEqualTo(Entitlement.Level.NOT_INCLUDED);
          soft.assertThat(actual.quantity()).as(where).isZero();
        }
        case "LIM" -> {
          soft.assertThat(actual.level())
              .as(where)
              .isEqualTo(Entitlement.Level.INCLUDED_WITH_LIMITATIONS);
          soft.assertThat(actual.quantity()).as(where).isZero();
        }
        case "IN" -> {
          soft.assertThat(actual.level()).as(where).isEqualTo(Entitlement.Level.INCLUDED);
          soft.assertThat(actual.quantity()).as(where).isZero();
        }
        default -> {
          soft.assertThat(actual.level()).as(where).isEqualTo(Entitlement.Level.INCLUDED);
          soft.assertThat(actual.quantity()).as(where).isEqualTo(Long.parseLong(cell));
        }
      }
    }
    soft.assertAll();
  }

  private static EntitlementSource source(String name) {
    for (LicenseType license : LicenseType.values()) {
      if (license.name().equals(name)) {
        return license;
      }
    }
    return FlowPlan.valueOf(name);
  }
}
