package dev.botfleet.orchestrator.licensing;

import static dev.botfleet.orchestrator.licensing.EnvironmentKind.DEFAULT;
import static dev.botfleet.orchestrator.licensing.EnvironmentKind.DEVELOPER;
import static dev.botfleet.orchestrator.licensing.EnvironmentKind.PRODUCTION;
import static dev.botfleet.orchestrator.licensing.EnvironmentKind.SANDBOX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.licensing.EntitlementCheck.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class EntitlementCheckTest {

  private static final String USER = "alice@contoso.com";

  // ---- L4 ----

  @ParameterizedTest
  @EnumSource(EnvironmentKind.class)
  void l4_free_user_cannot_share_a_flow(EnvironmentKind environment) {
    Decision decision = decide(request(Action.SHARE_FLOW, environment, LicenseType.FREE));

    assertDenied(decision, "L4");
    assertThat(decision.reason()).contains("FREE").contains("cannot share");
    assertThat(decision.nextStep())
        .isEqualTo(
            "Start a Power Automate trial (90 days) with `botfleet trial start"
                + " alice@contoso.com`.");
  }

  @Test
  void l4_free_user_is_sent_to_an_admin_when_trials_are_unavailable() {
    Decision decision =
        decide(
            request(Action.SHARE_FLOW, SANDBOX, LicenseType.FREE)
                .withSelfServiceTrialAvailable(false));

    assertDenied(decision, "L4");
    assertThat(decision.nextStep())
        .isEqualTo("Ask an admin to assign a PREMIUM license to alice@contoso.com.");
  }

  @ParameterizedTest
  @EnumSource(
      value = LicenseType.class,
      names = {"FREE", "WINDOWS"},
      mode = EnumSource.Mode.EXCLUDE)
  void l4_every_other_user_license_may_share_also_next_to_free(LicenseType other) {
    Decision decision = decide(request(Action.SHARE_FLOW, SANDBOX, LicenseType.FREE, other));

    assertAllowed(decision, "L4");
    assertThat(decision.reason()).contains(other.name());
  }

  // ---- L8 ----

  @ParameterizedTest
  @EnumSource(
      value = Action.class,
      names = {"CREATE_FLOW", "RUN_FLOW", "SHARE_FLOW"})
  void l8_developer_plan_is_refused_in_production(Action action) {
    Decision decision = decide(request(action, PRODUCTION, LicenseType.DEVELOPER));

    assertDenied(decision, "L8");
    assertThat(decision.reason()).contains("not usable in a PRODUCTION environment");
    assertThat(decision.nextStep()).startsWith("Move the flow to a non-production environment");
  }

  @Test
  void l8_developer_plan_premium_connector_in_production_is_refused_naming_l8_despite_m365() {
    Decision decision =
        decide(
            useConnector(
                ConnectorTier.PREMIUM, PRODUCTION, LicenseType.DEVELOPER, LicenseType.M365));

    assertDenied(decision, "L8");
    assertThat(decision.nextStep()).startsWith("Move the flow to a non-production environment");
  }

  @Test
  void l8_in_production_the_other_licenses_still_count() {
    assertAllowed(
        decide(
            useConnector(
                ConnectorTier.STANDARD, PRODUCTION, LicenseType.DEVELOPER, LicenseType.M365)),
        "L2");
  }

  @ParameterizedTest
  @EnumSource(
      value = EnvironmentKind.class,
      names = {"PRODUCTION"},
      mode = EnumSource.Mode.EXCLUDE)
  void l8_developer_plan_allows_premium_connectors_outside_production(EnvironmentKind environment) {
    Decision decision =
        decide(useConnector(ConnectorTier.PREMIUM, environment, LicenseType.DEVELOPER));

    assertAllowed(decision, "L8");
  }

  @ParameterizedTest(name = "L8: {0} with {1} in a DEVELOPER environment")
  @MethodSource("rpaAndBusinessProcessFlowCreationByAnyLicense")
  void l8_no_desktop_or_business_process_flow_is_created_in_a_developer_environment(
      Action action, LicenseType license) {
    Decision decision = decide(request(action, DEVELOPER, license));

    assertDenied(decision, "L8");
    assertThat(decision.reason()).contains("DEVELOPER environment");
    assertThat(decision.nextStep()).contains("sandbox or production environment");
  }

  static Stream<Arguments> rpaAndBusinessProcessFlowCreationByAnyLicense() {
    List<Arguments> cases = new ArrayList<>();
    for (Action action : List.of(Action.CREATE_DESKTOP_FLOW, Action.CREATE_BUSINESS_PROCESS_FLOW)) {
      for (LicenseType license : LicenseType.values()) {
        if (!license.appliesToMachine()) {
          cases.add(Arguments.of(action, license));
        }
      }
    }
    return cases.stream();
  }

  @Test
  void l8_developer_plan_creates_no_business_process_flow_in_a_sandbox_either() {
    assertDenied(
        decide(request(Action.CREATE_BUSINESS_PROCESS_FLOW, SANDBOX, LicenseType.DEVELOPER)), "L2");
  }

  // ---- L7 ----

  @ParameterizedTest
  @EnumSource(
      value = EnvironmentKind.class,
      names = {"PRODUCTION", "SANDBOX", "TRIAL", "TEAMS"})
  void l7_free_user_creating_a_desktop_flow_outside_default_is_told_to_start_a_trial(
      EnvironmentKind environment) {
    Decision decision = decide(request(Action.CREATE_DESKTOP_FLOW, environment, LicenseType.FREE));

    assertDenied(decision, "L7");
    assertThat(decision.reason()).contains(environment.name()).contains("RPA");
    assertThat(decision.nextStep())
        .isEqualTo(
            "Start a Power Automate trial (90 days) with `botfleet trial start alice@contoso.com`,"
                + " or create it in the DEFAULT environment.");
  }

  @Test
  void l7_free_user_may_create_a_desktop_flow_in_the_default_environment() {
    assertAllowed(decide(request(Action.CREATE_DESKTOP_FLOW, DEFAULT, LicenseType.FREE)), "L7");
  }

  @ParameterizedTest
  @EnumSource(
      value = LicenseType.class,
      names = {"TRIAL", "PREMIUM"})
  void l7_a_license_with_rpa_creates_desktop_flows_anywhere_but_developer(LicenseType license) {
    assertAllowed(decide(request(Action.CREATE_DESKTOP_FLOW, PRODUCTION, license)), "L2");
  }

  @Test
  void l7_a_user_already_on_trial_is_not_offered_another_one() {
    Decision decision =
        decide(
            request(Action.RUN_UNATTENDED, SANDBOX, LicenseType.TRIAL, LicenseType.FREE)
                .withFlow(FlowContext.onPlan(FlowPlan.PER_FLOW, SANDBOX)));
    assertAllowed(decision, "L2"); // the trial includes one unattended bot

    Decision bpf =
        decide(
            useConnector(ConnectorTier.CUSTOM, SANDBOX, LicenseType.M365)
                .withSelfServiceTrialAvailable(true));
    assertThat(bpf.nextStep()).startsWith("Start a Power Automate trial");
  }

  @Test
  void l7_user_without_any_license_is_refused() {
    Decision decision = decide(request(Action.CREATE_FLOW, SANDBOX));

    assertDenied(decision, "L7");
    assertThat(decision.reason()).isEqualTo("alice@contoso.com holds no Power Automate license.");
    assertThat(decision.nextStep()).contains("FREE covers standard connectors");
  }

  @Test
  void l7_denials_become_permission_denied_naming_the_rule() {
    Decision decision = decide(request(Action.SHARE_FLOW, SANDBOX, LicenseType.FREE));

    assertThatThrownBy(decision::requireAllowed)
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
              assertThat(e.reason()).isEqualTo(ErrorReason.L4_NOT_ENTITLED);
              assertThat(e.getMessage()).contains("Next step: Start a Power Automate trial");
            });
    Decision allowed = decide(request(Action.SHARE_FLOW, SANDBOX, LicenseType.PREMIUM));
    assertThat(allowed.requireAllowed()).isSameAs(allowed);
    assertThat(allowed.nextStep()).isEmpty();
  }

  // ---- P3, P4, P7, P9 ----

  @ParameterizedTest(name = "{0} flow, {1} connector, run by a user with {2}")
  @MethodSource("processBackedPlansTiersAndLicenses")
  void p3_process_flow_runs_for_any_user_with_any_connector(
      FlowPlan plan, ConnectorTier tier, List<LicenseType> licenses) {
    Decision decision =
        decide(
            Request.of(USER, licenses, PRODUCTION, Action.RUN_FLOW)
                .withConnector(tier)
                .withFlow(FlowContext.onPlan(plan, PRODUCTION)));

    assertAllowed(decision, plan.rule());
    assertThat(decision.reason()).contains("any user whatever their license");
  }

  static Stream<Arguments> processBackedPlansTiersAndLicenses() {
    List<Arguments> cases = new ArrayList<>();
    for (FlowPlan plan :
        List.of(
            FlowPlan.PROCESS,
            FlowPlan.ASSOCIATED_TO_PROCESS,
            FlowPlan.PROCESS_INHERITED_FROM_MACHINE)) {
      for (ConnectorTier tier : ConnectorTier.values()) {
        cases.add(Arguments.of(plan, tier, List.of()));
        cases.add(Arguments.of(plan, tier, List.of(LicenseType.FREE)));
        cases.add(Arguments.of(plan, tier, List.of(LicenseType.DEVELOPER)));
        cases.add(Arguments.of(plan, tier, List.of(LicenseType.M365)));
      }
    }
    return cases.stream();
  }

  @Test
  void p3_plans_name_their_own_rule() {
    assertThat(FlowPlan.PROCESS.rule()).isEqualTo("P3");
    assertThat(FlowPlan.ASSOCIATED_TO_PROCESS.rule()).isEqualTo("P4");
    assertThat(FlowPlan.PROCESS_INHERITED_FROM_MACHINE.rule()).isEqualTo("P7");
    assertThat(FlowPlan.PER_FLOW.rule()).isEqualTo("P9");
  }

  @Test
  void p3_a_process_flow_does_not_let_a_free_user_share_it() {
    assertDenied(
        decide(
            request(Action.SHARE_FLOW, SANDBOX, LicenseType.FREE)
                .withFlow(FlowContext.onPlan(FlowPlan.PROCESS, SANDBOX))),
        "L4");
  }

  @Test
  void p7_inherited_plan_covers_unattended_runs_for_any_user() {
    assertAllowed(
        decide(
            request(Action.RUN_UNATTENDED, PRODUCTION, LicenseType.M365)
                .withFlow(FlowContext.onPlan(FlowPlan.PROCESS_INHERITED_FROM_MACHINE, PRODUCTION))),
        "P7");
  }

  @Test
  void p9_per_flow_covers_premium_and_custom_connectors_but_not_unattended_runs() {
    FlowContext perFlow = FlowContext.onPlan(FlowPlan.PER_FLOW, PRODUCTION);
    assertAllowed(
        decide(useConnector(ConnectorTier.CUSTOM, PRODUCTION, LicenseType.FREE).withFlow(perFlow)),
        "P9");

    Decision unattended =
        decide(request(Action.RUN_UNATTENDED, PRODUCTION, LicenseType.PREMIUM).withFlow(perFlow));
    assertDenied(unattended, "L2");
    assertThat(unattended.nextStep())
        .startsWith("Ask an admin to allocate a process unit to the machine the flow targets");
  }

  // ---- L2 ----

  @ParameterizedTest(name = "L2: {0} with {1} connector, in-context of its app")
  @MethodSource("limitedConnectorCells")
  void l2_seeded_license_connector_only_in_context_of_its_own_app(
      LicenseType license, ConnectorTier tier) {
    Request outOfContext = useConnector(tier, PRODUCTION, license);
    Decision denied = decide(outOfContext);
    assertDenied(denied, "L2");
    assertThat(denied.reason()).contains("only when the flow is in-context and associated");
    assertThat(denied.nextStep()).startsWith("Associate the flow to a " + license + " app");

    Decision allowed = decide(outOfContext.withFlow(FlowContext.inContextOf(license, PRODUCTION)));
    assertAllowed(allowed, "L2");
    assertThat(allowed.reason()).contains("included with limitations in " + license);

    Decision associatedButNotInContext =
        decide(
            outOfContext.withFlow(
                new FlowContext(FlowPlan.OWNER_LICENSES, false, license, PRODUCTION)));
    assertDenied(associatedButNotInContext, "L2");
  }

  static Stream<Arguments> limitedConnectorCells() {
    return Stream.of(
        Arguments.of(LicenseType.POWER_APPS_PREMIUM, ConnectorTier.PREMIUM),
        Arguments.of(LicenseType.POWER_APPS_PREMIUM, ConnectorTier.CUSTOM),
        Arguments.of(LicenseType.D365_PROFESSIONAL, ConnectorTier.PREMIUM),
        Arguments.of(LicenseType.D365_ENTERPRISE, ConnectorTier.CUSTOM),
        Arguments.of(LicenseType.D365_TEAM_MEMBER, ConnectorTier.PREMIUM),
        Arguments.of(LicenseType.D365_TEAM_MEMBER, ConnectorTier.CUSTOM));
  }

  @Test
  void l2_in_context_of_another_app_does_not_count() {
    Decision decision =
        decide(
            useConnector(ConnectorTier.PREMIUM, SANDBOX, LicenseType.D365_TEAM_MEMBER)
                .withFlow(FlowContext.inContextOf(LicenseType.POWER_APPS_PREMIUM, SANDBOX)));

    assertDenied(decision, "L2");
    assertThat(decision.reason()).contains("runs in-context of a POWER_APPS_PREMIUM app");
  }

  @Test
  void l2_business_process_flow_for_a_dynamics_user_in_context_of_their_app() {
    Request request =
        request(Action.CREATE_BUSINESS_PROCESS_FLOW, SANDBOX, LicenseType.D365_ENTERPRISE);
    assertDenied(decide(request), "L2");
    assertAllowed(
        decide(request.withFlow(FlowContext.inContextOf(LicenseType.D365_ENTERPRISE, SANDBOX))),
        "L2");
  }

  @ParameterizedTest(name = "L2: {0} uses a {1} connector out of any app context: {2}")
  @CsvSource({
    "FREE, STANDARD, true",
    "FREE, PREMIUM, false",
    "FREE, CUSTOM, false",
    "M365, STANDARD, true",
    "M365, PREMIUM, false",
    "PREMIUM, PREMIUM, true",
    "PREMIUM, CUSTOM, true",
    "TRIAL, CUSTOM, true",
    "PER_USER, PREMIUM, true",
    "P1, CUSTOM, true",
    "POWER_APPS_PREMIUM, STANDARD, true",
    "POWER_APPS_PREMIUM, PREMIUM, false",
    "D365_TEAM_MEMBER, STANDARD, true",
    "DEVELOPER, CUSTOM, false"
  })
  void l2_connector_tiers_follow_the_matrix(
      LicenseType license, ConnectorTier tier, boolean allowed) {
    Decision decision = decide(useConnector(tier, SANDBOX, license));
    assertThat(decision.allowed()).as(decision.toString()).isEqualTo(allowed);
  }

  @Test
  void l2_every_user_license_and_tier_agrees_with_the_matrix_out_of_context() {
    for (LicenseType license : LicenseType.values()) {
      if (license.appliesToMachine()) {
        continue;
      }
      for (ConnectorTier tier : ConnectorTier.values()) {
        Decision decision = decide(request(Action.RUN_FLOW, SANDBOX, license).withConnector(tier));
        assertThat(decision.allowed())
            .as("%s with %s: %s", license, tier, decision)
            .isEqualTo(EntitlementMatrix.lookup(license, tier.capability()).included());
      }
    }
  }

  @Test
  void l2_a_user_with_several_licenses_gets_the_best_of_them() {
    Decision decision =
        decide(
            useConnector(
                ConnectorTier.PREMIUM,
                PRODUCTION,
                LicenseType.FREE,
                LicenseType.M365,
                LicenseType.PER_USER));

    assertAllowed(decision, "L2");
    assertThat(decision.reason()).isEqualTo("Premium connectors: included in PER_USER.");
  }

  @Test
  void l2_premium_user_runs_attended_but_needs_a_bot_for_unattended() {
    assertAllowed(decide(request(Action.RUN_ATTENDED, SANDBOX, LicenseType.PREMIUM)), "L2");

    Decision unattended = decide(request(Action.RUN_UNATTENDED, SANDBOX, LicenseType.PREMIUM));
    assertDenied(unattended, "L2");
    assertThat(unattended.reason()).isEqualTo("Unattended RPA: not included in PREMIUM.");
    assertThat(unattended.nextStep()).contains("(P7)");
  }

  @Test
  void l2_m365_user_asking_for_premium_is_offered_a_trial_then_an_admin_or_a_process_unit() {
    Request request =
        request(Action.RUN_FLOW, SANDBOX, LicenseType.M365).withConnector(ConnectorTier.PREMIUM);
    assertThat(decide(request).nextStep()).startsWith("Start a Power Automate trial");
    assertThat(decide(request.withSelfServiceTrialAvailable(false)).nextStep())
        .isEqualTo(
            "Ask an admin to assign a PREMIUM license to alice@contoso.com, or to allocate a"
                + " process unit to the flow so any user may run it (P3).");
  }

  // ---- input ----

  @Test
  void request_refuses_a_machine_license_among_a_users() {
    assertThatThrownBy(() -> request(Action.RUN_FLOW, SANDBOX, LicenseType.WINDOWS))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.reason()).isEqualTo(ErrorReason.L1_MACHINE_LICENSE);
            });
  }

  @Test
  void request_needs_a_tier_for_use_connector_and_refuses_one_where_it_means_nothing() {
    assertThatThrownBy(() -> request(Action.USE_CONNECTOR, SANDBOX, LicenseType.FREE))
        .isInstanceOf(BotfleetException.class)
        .hasMessage("connector: missing for USE_CONNECTOR (expected: STANDARD, PREMIUM or CUSTOM)");
    assertThatThrownBy(
            () ->
                request(Action.SHARE_FLOW, SANDBOX, LicenseType.FREE)
                    .withConnector(ConnectorTier.PREMIUM))
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("connector: PREMIUM given for SHARE_FLOW");
  }

  @Test
  void request_refuses_a_flow_from_another_environment() {
    assertThatThrownBy(
            () ->
                request(Action.RUN_FLOW, SANDBOX, LicenseType.FREE)
                    .withFlow(FlowContext.onUserLicenses(PRODUCTION)))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> assertThat(e.reason()).isEqualTo(ErrorReason.L7_FLOW_ENVIRONMENT_MISMATCH));
  }

  @Test
  void flow_context_refuses_an_app_license_that_is_not_one() {
    assertThatThrownBy(() -> FlowContext.inContextOf(LicenseType.M365, SANDBOX))
        .isInstanceOfSatisfying(
            BotfleetException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.L2_APP_LICENSE_INVALID);
              assertThat(e.getMessage()).contains("associatedAppLicense: M365 (expected:");
            });
  }

  @Test
  void decision_denials_must_carry_a_next_step() {
    assertThatThrownBy(() -> Decision.deny("L4", "FREE cannot share.", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nextStep: blank");
  }

  private static Request request(
      Action action, EnvironmentKind environment, LicenseType... licenses) {
    return Request.of(USER, Arrays.asList(licenses), environment, action);
  }

  private static Request useConnector(
      ConnectorTier tier, EnvironmentKind environment, LicenseType... licenses) {
    return Request.useConnector(USER, Arrays.asList(licenses), environment, tier);
  }

  private static Decision decide(Request request) {
    return EntitlementCheck.decide(request);
  }

  private static void assertAllowed(Decision decision, String rule) {
    assertThat(decision.allowed()).as(decision.toString()).isTrue();
    assertThat(decision.rule()).as(decision.toString()).isEqualTo(rule);
  }

  private static void assertDenied(Decision decision, String rule) {
    assertThat(decision.allowed()).as(decision.toString()).isFalse();
    assertThat(decision.rule()).as(decision.toString()).isEqualTo(rule);
    assertThat(decision.nextStep()).as(decision.toString()).isNotBlank().endsWith(".");
  }
}
