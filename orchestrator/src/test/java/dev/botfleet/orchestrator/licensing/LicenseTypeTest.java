package dev.botfleet.orchestrator.licensing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.common.ErrorReason;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class LicenseTypeTest {

  @ParameterizedTest(name = "L1: {0} assigned on {1}: allowed={2}")
  @CsvSource({
    "P1, 2019-06-30, true",
    "P1, 2020-12-31, true",
    "P1, 2021-01-01, false",
    "P1, 2026-11-22, false",
    "P2, 2020-12-31, true",
    "P2, 2021-01-01, false",
    "PER_USER, 2026-11-22, true",
    "PREMIUM, 2026-11-22, true",
    "TRIAL, 2026-11-22, true"
  })
  void l1_p1_cannot_be_newly_assigned_after_2020(
      LicenseType license, LocalDate today, boolean allowed) {
    assertThat(license.newAssignmentAllowed(today)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @EnumSource(
      value = LicenseType.class,
      names = {"P1", "P2"})
  void l1_assigning_p1_or_p2_after_2020_is_a_failed_precondition_naming_the_replacement(
      LicenseType license) {
    assertThatThrownBy(() -> license.requireAssignableToUser(LocalDate.of(2021, 1, 1)))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
              assertThat(e.reason()).isEqualTo(ErrorReason.L1_LEGACY_NO_NEW_ASSIGNMENT);
              assertThat(e.getMessage())
                  .contains(license.name())
                  .contains("2020-12-31")
                  .contains("valid until their end")
                  .contains("PREMIUM");
            });
    license.requireAssignableToUser(LocalDate.of(2020, 12, 31));
  }

  @Test
  void l1_legacy_licenses_are_per_user_p1_and_p2_and_move_to_premium() {
    for (LicenseType license : LicenseType.values()) {
      boolean legacy =
          EnumSet.of(LicenseType.PER_USER, LicenseType.P1, LicenseType.P2).contains(license);
      assertThat(license.legacy()).as("%s", license).isEqualTo(legacy);
      assertThat(license.replacement())
          .as("%s", license)
          .isEqualTo(legacy ? Optional.of(LicenseType.PREMIUM) : Optional.empty());
    }
    assertThat(FlowPlan.PER_FLOW.legacy()).isTrue();
    assertThat(FlowPlan.PROCESS.legacy()).isFalse();
  }

  @Test
  void l1_self_service_trial_lasts_90_days() {
    assertThat(LicenseType.TRIAL.selfServiceTrialDays()).hasValue(90);
    for (LicenseType license : EnumSet.complementOf(EnumSet.of(LicenseType.TRIAL))) {
      assertThat(license.selfServiceTrialDays()).as("%s", license).isEmpty();
    }
  }

  @Test
  void l1_windows_applies_to_a_machine_not_a_user() {
    for (LicenseType license : LicenseType.values()) {
      assertThat(license.appliesToMachine())
          .as("%s", license)
          .isEqualTo(license == LicenseType.WINDOWS);
    }
    assertThatThrownBy(() -> LicenseType.WINDOWS.requireAssignableToUser(LocalDate.of(2026, 1, 1)))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.reason()).isEqualTo(ErrorReason.L1_MACHINE_LICENSE);
              assertThat(e.getMessage()).contains("applies to a machine, not a user");
            });
  }

  @Test
  void l1_seeded_licenses_and_the_apps_a_flow_can_be_associated_to() {
    assertThat(EnumSet.allOf(LicenseType.class).stream().filter(LicenseType::seeded))
        .containsExactly(
            LicenseType.POWER_APPS_PREMIUM,
            LicenseType.M365,
            LicenseType.D365_PROFESSIONAL,
            LicenseType.D365_ENTERPRISE,
            LicenseType.D365_TEAM_MEMBER,
            LicenseType.WINDOWS);
    assertThat(EnumSet.allOf(LicenseType.class).stream().filter(LicenseType::isAppLicense))
        .containsExactly(
            LicenseType.POWER_APPS_PREMIUM,
            LicenseType.D365_PROFESSIONAL,
            LicenseType.D365_ENTERPRISE,
            LicenseType.D365_TEAM_MEMBER);
  }

  @Test
  void environment_kind_parses_case_insensitively_and_says_what_is_expected() {
    assertThat(EnvironmentKind.parse("production")).isEqualTo(EnvironmentKind.PRODUCTION);
    assertThatThrownBy(() -> EnvironmentKind.parse("prod"))
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("'prod'")
        .hasMessageContaining("expected: one of [DEFAULT, PRODUCTION");
  }
}
