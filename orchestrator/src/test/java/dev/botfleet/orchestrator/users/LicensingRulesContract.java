package dev.botfleet.orchestrator.users;

import static dev.botfleet.orchestrator.users.LicensingFixture.refused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.licensing.Capability;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AssignLicenseRequest;
import dev.botfleet.proto.v1.CheckEntitlementRequest;
import dev.botfleet.proto.v1.ConnectorTier;
import dev.botfleet.proto.v1.EntitlementAction;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.ExtendLicenseTrialRequest;
import dev.botfleet.proto.v1.GetTenantSettingsRequest;
import dev.botfleet.proto.v1.LicenseSource;
import dev.botfleet.proto.v1.LicenseType;
import dev.botfleet.proto.v1.ListLicensesRequest;
import dev.botfleet.proto.v1.ListUsersRequest;
import dev.botfleet.proto.v1.OverLimitPolicy;
import dev.botfleet.proto.v1.SetSelfServiceTrialsRequest;
import dev.botfleet.proto.v1.StartTrialRequest;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import dev.botfleet.proto.v1.UserLicense;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Users, licenses, trials and the entitlement check (L1, L3, L5–L8) through the real gRPC API, run
 * once per database. One orchestrator per class; each test uses its own names and metering day.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LicensingRulesContract {
  TestOrchestrator t;
  LicensingFixture f;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeAll
  void startOrchestrator(@TempDir Path dir) throws Exception {
    t = start(dir);
    f = new LicensingFixture(t);
  }

  @AfterAll
  void stop() {
    t.close();
  }

  @BeforeEach
  void freshDay() {
    f.nextDay();
  }

  UserLicense license(String user, LicenseType type) {
    return f
        .licensing
        .listLicenses(ListLicensesRequest.newBuilder().setUser(user).build())
        .getLicensesList()
        .stream()
        .filter(l -> l.getType() == type)
        .findFirst()
        .orElseThrow();
  }

  long limit(String user) {
    return f.licensing
        .listLicenses(ListLicensesRequest.newBuilder().setUser(user).build())
        .getDailyRequestLimit();
  }

  @Test
  void l1_p1_and_p2_are_not_newly_assignable_after_2020_12_31() {
    String user = f.user();
    Instant today = t.clock.instant();
    for (LicenseType legacy :
        new LicenseType[] {LicenseType.LICENSE_TYPE_P1, LicenseType.LICENSE_TYPE_P2}) {
      var e =
          refused(
              () ->
                  f.licensing.assignLicense(
                      AssignLicenseRequest.newBuilder().setUser(user).setType(legacy).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(GrpcErrors.reason(e)).isEqualTo("L1_LEGACY_NO_NEW_ASSIGNMENT");
    }
    t.clock.set(Instant.parse("2020-12-31T23:00:00Z"));
    try {
      var p1 =
          f.licensing
              .assignLicense(
                  AssignLicenseRequest.newBuilder()
                      .setUser(user)
                      .setType(LicenseType.LICENSE_TYPE_P1)
                      .build())
              .getLicense();
      assertThat(p1.getSource()).isEqualTo(LicenseSource.LICENSE_SOURCE_ASSIGNED);
    } finally {
      t.clock.set(today);
    }
    assertThat(license(user, LicenseType.LICENSE_TYPE_P1).getActive())
        .as("an existing P1 stays valid")
        .isTrue();
  }

  @Test
  void l1_windows_applies_to_a_machine_and_is_refused_for_users() {
    String user = f.user();
    var e =
        refused(
            () ->
                f.licensing.assignLicense(
                    AssignLicenseRequest.newBuilder()
                        .setUser(user)
                        .setType(LicenseType.LICENSE_TYPE_WINDOWS)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcErrors.reason(e)).isEqualTo("L1_MACHINE_LICENSE");
  }

  @Test
  void l3_a_users_daily_limit_is_the_sum_of_their_licenses() {
    String user = f.user(LicenseType.LICENSE_TYPE_PREMIUM, LicenseType.LICENSE_TYPE_M365);
    long free =
        EntitlementMatrix.lookup(
                dev.botfleet.orchestrator.licensing.LicenseType.FREE, Capability.DAILY_PPR)
            .quantity();
    long premium =
        EntitlementMatrix.lookup(
                dev.botfleet.orchestrator.licensing.LicenseType.PREMIUM, Capability.DAILY_PPR)
            .quantity();
    long m365 =
        EntitlementMatrix.lookup(
                dev.botfleet.orchestrator.licensing.LicenseType.M365, Capability.DAILY_PPR)
            .quantity();
    assertThat(premium).isPositive();
    assertThat(limit(user)).isEqualTo(free + premium + m365);
    assertThat(f.licensing.listUsers(ListUsersRequest.getDefaultInstance()).getUsersList())
        .filteredOn(u -> u.getName().equals(user))
        .singleElement()
        .satisfies(u -> assertThat(u.getDailyRequestLimit()).isEqualTo(free + premium + m365));
    var dup =
        refused(
            () ->
                f.licensing.assignLicense(
                    AssignLicenseRequest.newBuilder()
                        .setUser(user)
                        .setType(LicenseType.LICENSE_TYPE_PREMIUM)
                        .build()));
    assertThat(GrpcErrors.reason(dup)).isEqualTo("LICENSE_ALREADY_ASSIGNED");
  }

  @Test
  void l3_an_ended_license_no_longer_counts() {
    String user = f.user();
    Instant end = t.clock.instant().plus(Duration.ofDays(3));
    f.licensing.assignLicense(
        AssignLicenseRequest.newBuilder()
            .setUser(user)
            .setType(LicenseType.LICENSE_TYPE_PREMIUM)
            .setEndsAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(end.getEpochSecond()))
            .build());
    long withPremium = limit(user);
    t.clock.set(end);
    assertThat(limit(user)).isLessThan(withPremium);
    assertThat(license(user, LicenseType.LICENSE_TYPE_PREMIUM).getActive()).isFalse();
  }

  @Test
  void l5_a_self_service_trial_lasts_90_days() {
    String user = f.user();
    var trial =
        f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(user).build()).getLicense();
    assertThat(trial.getType()).isEqualTo(LicenseType.LICENSE_TYPE_TRIAL);
    assertThat(trial.getSource()).isEqualTo(LicenseSource.LICENSE_SOURCE_SELF_SERVICE_TRIAL);
    assertThat(trial.getEndsAt().getSeconds() - trial.getStartsAt().getSeconds())
        .isEqualTo(Duration.ofDays(90).toSeconds());
    t.clock.set(t.clock.instant().plus(Duration.ofDays(90)));
    assertThat(license(user, LicenseType.LICENSE_TYPE_TRIAL).getActive()).isFalse();
    var again =
        refused(() -> f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(user).build()));
    assertThat(GrpcErrors.reason(again)).isEqualTo("L5_TRIAL_ALREADY_USED");
  }

  @Test
  void l5_disabling_trials_removes_them_from_every_user_at_once_and_for_good() {
    String ann = f.user();
    String bob = f.user();
    f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(ann).build());
    f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(bob).build());

    var off =
        f.licensing.setSelfServiceTrials(
            SetSelfServiceTrialsRequest.newBuilder()
                .setType(LicenseType.LICENSE_TYPE_TRIAL)
                .setEnabled(false)
                .build());
    assertThat(off.getRemovedFromList()).contains(ann, bob);
    assertThat(
            f.licensing
                .listLicenses(ListLicensesRequest.newBuilder().setUser(ann).build())
                .getLicensesList())
        .noneMatch(l -> l.getType() == LicenseType.LICENSE_TYPE_TRIAL);
    String carl = f.user();
    assertThat(
            GrpcErrors.reason(
                refused(
                    () ->
                        f.licensing.startTrial(
                            StartTrialRequest.newBuilder().setUser(carl).build()))))
        .isEqualTo("L5_TRIAL_DISABLED");

    f.licensing.setSelfServiceTrials(
        SetSelfServiceTrialsRequest.newBuilder()
            .setType(LicenseType.LICENSE_TYPE_TRIAL)
            .setEnabled(true)
            .build());
    var e =
        refused(() -> f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(ann).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("L5_TRIAL_REVOKED");
    assertThat(
            f.licensing
                .startTrial(StartTrialRequest.newBuilder().setUser(carl).build())
                .getLicense()
                .getActive())
        .as("others may start one again after re-enabling")
        .isTrue();
  }

  @Test
  void l5_no_self_service_trial_in_a_government_cloud() {
    f.admin.updateTenantSettings(
        UpdateTenantSettingsRequest.newBuilder().setGovernmentCloud(true).build());
    assertThat(
            f.admin
                .getTenantSettings(GetTenantSettingsRequest.getDefaultInstance())
                .getSettings()
                .getGovernmentCloud())
        .isTrue();
    String user = f.user();
    var e =
        refused(() -> f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(user).build()));
    assertThat(GrpcErrors.reason(e)).isEqualTo("L5_GOVERNMENT_CLOUD");
    String env = f.env(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    var check =
        f.licensing.checkEntitlement(
            CheckEntitlementRequest.newBuilder()
                .setUser(user)
                .setEnvironment(env)
                .setAction(EntitlementAction.ENTITLEMENT_ACTION_CREATE_DESKTOP_FLOW)
                .build());
    assertThat(check.getAllowed()).isFalse();
    assertThat(check.getNextStep())
        .as("no trial offered in a government cloud")
        .doesNotContain("trial start");
  }

  @Test
  void l6_an_admin_premium_trial_lasts_30_days_and_extends_once_by_30() {
    String user = f.user();
    var trial =
        f.licensing
            .assignLicense(
                AssignLicenseRequest.newBuilder()
                    .setUser(user)
                    .setType(LicenseType.LICENSE_TYPE_PREMIUM)
                    .setAdminTrial(true)
                    .build())
            .getLicense();
    assertThat(trial.getSource()).isEqualTo(LicenseSource.LICENSE_SOURCE_ADMIN_TRIAL);
    assertThat(trial.getEndsAt().getSeconds() - trial.getStartsAt().getSeconds())
        .isEqualTo(Duration.ofDays(30).toSeconds());
    var extended =
        f.licensing
            .extendLicenseTrial(
                ExtendLicenseTrialRequest.newBuilder()
                    .setUser(user)
                    .setType(LicenseType.LICENSE_TYPE_PREMIUM)
                    .build())
            .getLicense();
    assertThat(extended.getEndsAt().getSeconds() - trial.getStartsAt().getSeconds())
        .isEqualTo(Duration.ofDays(60).toSeconds());
    assertThat(extended.getExtended()).isTrue();
    var twice =
        refused(
            () ->
                f.licensing.extendLicenseTrial(
                    ExtendLicenseTrialRequest.newBuilder()
                        .setUser(user)
                        .setType(LicenseType.LICENSE_TYPE_PREMIUM)
                        .build()));
    assertThat(GrpcErrors.reason(twice)).isEqualTo("L6_ALREADY_EXTENDED");
    t.clock.set(t.clock.instant().plus(Duration.ofDays(60)));
    assertThat(license(user, LicenseType.LICENSE_TYPE_PREMIUM).getActive()).isFalse();
    var notOffered =
        refused(
            () ->
                f.licensing.assignLicense(
                    AssignLicenseRequest.newBuilder()
                        .setUser(f.user())
                        .setType(LicenseType.LICENSE_TYPE_M365)
                        .setAdminTrial(true)
                        .build()));
    assertThat(GrpcErrors.reason(notOffered)).isEqualTo("L6_TRIAL_NOT_OFFERED");
  }

  @Test
  void
      l7_a_free_user_creating_a_desktop_flow_outside_default_is_told_to_start_a_trial_and_denials_are_counted() {
    String user = f.user();
    String sandbox = f.env(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    double before = denials("L7");
    var denied =
        f.licensing.checkEntitlement(
            CheckEntitlementRequest.newBuilder()
                .setUser(user)
                .setEnvironment(sandbox)
                .setAction(EntitlementAction.ENTITLEMENT_ACTION_CREATE_DESKTOP_FLOW)
                .build());
    assertThat(denied.getAllowed()).isFalse();
    assertThat(denied.getRule()).isEqualTo("L7");
    assertThat(denied.getNextStep()).contains("botfleet trial start " + user);
    assertThat(denials("L7")).isEqualTo(before + 1);

    f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(user).build());
    var allowed =
        f.licensing.checkEntitlement(
            CheckEntitlementRequest.newBuilder()
                .setUser(user)
                .setEnvironment(sandbox)
                .setAction(EntitlementAction.ENTITLEMENT_ACTION_CREATE_DESKTOP_FLOW)
                .build());
    assertThat(allowed.getAllowed()).isTrue();
    assertThat(allowed.getNextStep()).isEmpty();
  }

  @Test
  void l8_the_developer_plan_is_not_usable_in_production() {
    String user = f.user(LicenseType.LICENSE_TYPE_DEVELOPER);
    String prod = f.env(EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION);
    String sandbox = f.env(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    String dev = f.env(EnvironmentType.ENVIRONMENT_TYPE_DEVELOPER);
    var inProd =
        f.licensing.checkEntitlement(
            CheckEntitlementRequest.newBuilder()
                .setUser(user)
                .setEnvironment(prod)
                .setAction(EntitlementAction.ENTITLEMENT_ACTION_USE_CONNECTOR)
                .setConnector(ConnectorTier.CONNECTOR_TIER_PREMIUM)
                .build());
    assertThat(inProd.getAllowed()).isFalse();
    assertThat(inProd.getRule()).isEqualTo("L8");
    var inSandbox =
        f.licensing.checkEntitlement(
            CheckEntitlementRequest.newBuilder()
                .setUser(user)
                .setEnvironment(sandbox)
                .setAction(EntitlementAction.ENTITLEMENT_ACTION_USE_CONNECTOR)
                .setConnector(ConnectorTier.CONNECTOR_TIER_PREMIUM)
                .build());
    assertThat(inSandbox.getAllowed())
        .as("premium connectors allowed under the developer plan")
        .isTrue();
    var rpa =
        f.licensing.checkEntitlement(
            CheckEntitlementRequest.newBuilder()
                .setUser(user)
                .setEnvironment(dev)
                .setAction(EntitlementAction.ENTITLEMENT_ACTION_CREATE_DESKTOP_FLOW)
                .build());
    assertThat(rpa.getAllowed()).isFalse();
    assertThat(rpa.getRule()).isEqualTo("L8");
  }

  @Test
  void m3_tenant_settings_round_trip() {
    var s =
        f.admin
            .updateTenantSettings(
                UpdateTenantSettingsRequest.newBuilder()
                    .setOverLimit(OverLimitPolicy.OVER_LIMIT_POLICY_RECORD_OVERAGE)
                    .setLimitMultiplier(1.5)
                    .setMeteringDayOffsetMinutes(-300)
                    .build())
            .getSettings();
    assertThat(s.getOverLimit()).isEqualTo(OverLimitPolicy.OVER_LIMIT_POLICY_RECORD_OVERAGE);
    assertThat(s.getLimitMultiplier()).isEqualTo(1.5);
    assertThat(s.getMeteringDayOffsetMinutes()).isEqualTo(-300);
    var bad =
        refused(
            () ->
                f.admin.updateTenantSettings(
                    UpdateTenantSettingsRequest.newBuilder().setLimitMultiplier(0.5).build()));
    assertThat(GrpcErrors.reason(bad)).isEqualTo("M3_LIMIT_MULTIPLIER");
  }

  double denials(String rule) {
    var c =
        t.orchestrator.registry.find("botfleet.entitlement.denials").tag("rule", rule).counter();
    return c == null ? 0 : c.count();
  }
}
