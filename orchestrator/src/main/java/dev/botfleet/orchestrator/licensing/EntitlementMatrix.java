package dev.botfleet.orchestrator.licensing;

import static dev.botfleet.orchestrator.licensing.Capability.AI_BUILDER_CREDITS;
import static dev.botfleet.orchestrator.licensing.Capability.ATTENDED_RPA;
import static dev.botfleet.orchestrator.licensing.Capability.BUSINESS_PROCESS_FLOWS;
import static dev.botfleet.orchestrator.licensing.Capability.CUSTOM_CONNECTORS;
import static dev.botfleet.orchestrator.licensing.Capability.DAILY_PPR;
import static dev.botfleet.orchestrator.licensing.Capability.DATAVERSE_DATABASE_STORAGE;
import static dev.botfleet.orchestrator.licensing.Capability.DATAVERSE_FILE_STORAGE;
import static dev.botfleet.orchestrator.licensing.Capability.HOSTED_RPA;
import static dev.botfleet.orchestrator.licensing.Capability.ON_PREMISES_GATEWAYS;
import static dev.botfleet.orchestrator.licensing.Capability.PREMIUM_CONNECTORS;
import static dev.botfleet.orchestrator.licensing.Capability.PROCESS_MINING;
import static dev.botfleet.orchestrator.licensing.Capability.PROCESS_MINING_DATA_STORAGE;
import static dev.botfleet.orchestrator.licensing.Capability.STANDARD_CONNECTORS;
import static dev.botfleet.orchestrator.licensing.Capability.UNATTENDED_RPA;
import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The [003] entitlement matrix as data (L2): one table, column by column, with the flow-plan
 * request figures of P3, P7 and P9 beside it.
 *
 * <p>Columns come first in the document's order (the seeded-license table, then the free / trial /
 * legacy table); the four license types of L1 that [003] gives no column for follow, each cell
 * marked {@code [beyond]} in its note with the reasoning. Flow plans other than {@link
 * FlowPlan#PER_FLOW} have no column: their rights are P3, P4 and P7, see {@link #flowPlanCovers}.
 */
public final class EntitlementMatrix {

  /** P3: each process unit allocated to a cloud flow adds this many daily requests (stackable). */
  public static final long PROCESS_DAILY_REQUESTS_PER_UNIT = 250_000;

  /** P7: a flow covered by its machine's bots gets this many daily requests, however many bots. */
  public static final long PROCESS_INHERITED_FROM_MACHINE_DAILY_REQUESTS = 250_000;

  /** P9: a Per-flow plan gives its flow this many daily requests, not stackable. */
  public static final long PER_FLOW_DAILY_REQUESTS = 250_000;

  /** P9: at most this many Per-flow plans on one cloud flow (no multi-allocation). */
  public static final int PER_FLOW_MAX_PLANS_PER_FLOW = 1;

  /**
   * P3, P4, P7: what a process-backed plan gives its flow, for any user who runs it. Unattended RPA
   * is ours ([beyond]): the run still needs a bot on its target (P5), which the run queue checks
   * (R4); the entitlement is not the user's to have.
   */
  private static final Set<Capability> PROCESS_PLAN_CAPABILITIES =
      Collections.unmodifiableSet(
          EnumSet.of(STANDARD_CONNECTORS, PREMIUM_CONNECTORS, CUSTOM_CONNECTORS, UNATTENDED_RPA));

  private static final String FN3 =
      "(3) in Dataverse for Teams environments, users can use custom connectors built on Azure"
          + " and Dataverse";
  private static final String FN4 =
      "(4) only included if the cloud flow is in-context & associated to a Power App";
  private static final String FN5 =
      "(5) only included if the cloud flow is in-context & associated to a Dynamics 365 app";
  private static final String FN6 =
      "(6) only includes local execution of desktop flows (no orchestration)";
  private static final String TRIAL_PPR =
      "[beyond] [003] prints three figures for four columns in this row; we read 6k Free, 40k"
          + " Per-user, 250k Per-flow, and give the Trial, which carries Premium's rights (premium"
          + " connectors, attended and unattended RPA), Premium's 40k";
  private static final String PREMIUM_BEYOND =
      "[beyond] [003] has no Premium column; Premium replaced Per-user with more entitlements"
          + " ([003]), so at least Per-user's cell";
  private static final String PREMIUM_PUBLIC =
      "[beyond] [003] has no Premium column; from Microsoft's description of the Premium plan";
  private static final String LEGACY_BEYOND =
      "[beyond] [003] has no P1/P2 column; a legacy user license like Per-user, so its cell";
  private static final String DEVELOPER_DOC =
      "[003] Developer plan text: access to all premium connectors";
  private static final String DEVELOPER_NO_RPA_BPF =
      "[003] Developer plan text: business process flows and RPA flows can't be created (L8)";
  private static final String DEVELOPER_BEYOND =
      "[beyond] [003] does not grant it to the Developer plan";

  // One map, column by column; a column must give every capability exactly once (checked below).
  private static final Map<EntitlementSource, Map<Capability, Entitlement>> TABLE =
      new LinkedHashMap<>();

  static {
    // ---- [003] "Compare seeded licenses" ----
    column(
        LicenseType.POWER_APPS_PREMIUM,
        cell(DAILY_PPR, included(40_000, "40k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, limited(FN4)),
        cell(CUSTOM_CONNECTORS, limited(FN4)),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, limited(FN4)),
        cell(ON_PREMISES_GATEWAYS, limited(FN4)),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, included(500, "500")),
        cell(DATAVERSE_DATABASE_STORAGE, included(250, "250-MB per license")),
        cell(DATAVERSE_FILE_STORAGE, included(2_048, "2-GB per license")));
    column(
        LicenseType.M365,
        cell(DAILY_PPR, included(6_000, "6k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, notIncluded()),
        cell(CUSTOM_CONNECTORS, notIncluded()),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, notIncluded()),
        cell(ON_PREMISES_GATEWAYS, notIncluded()),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));
    column(
        LicenseType.D365_PROFESSIONAL, // (1) Sales Professional, Customer Service Professional
        cell(DAILY_PPR, included(40_000, "40k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, limited(FN5)),
        cell(CUSTOM_CONNECTORS, limited(FN5)),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, limited(FN5)),
        cell(ON_PREMISES_GATEWAYS, limited(FN5)),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));
    column(
        LicenseType.D365_ENTERPRISE, // (2) Sales/Customer Service Enterprise, Field Service, ...
        cell(DAILY_PPR, included(40_000, "40k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, limited(FN5)),
        cell(CUSTOM_CONNECTORS, limited(FN5)),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, limited(FN5)),
        cell(ON_PREMISES_GATEWAYS, limited(FN5)),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));
    column(
        LicenseType.D365_TEAM_MEMBER,
        cell(DAILY_PPR, included(6_000, "6k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, limited(FN5)),
        cell(CUSTOM_CONNECTORS, limited(FN3 + "; " + FN5)),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, limited(FN5)),
        cell(ON_PREMISES_GATEWAYS, limited(FN5)),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));
    column(
        LicenseType.WINDOWS,
        cell(DAILY_PPR, notIncluded()),
        cell(STANDARD_CONNECTORS, notIncluded()),
        cell(PREMIUM_CONNECTORS, notIncluded()),
        cell(CUSTOM_CONNECTORS, notIncluded()),
        cell(ATTENDED_RPA, limited(FN6)),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, notIncluded()),
        cell(ON_PREMISES_GATEWAYS, notIncluded()),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));

    // ---- [003] "Entitlements of free / trial / legacy licenses" ----
    column(
        LicenseType.FREE,
        cell(DAILY_PPR, included(6_000, "6k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, notIncluded()),
        cell(CUSTOM_CONNECTORS, notIncluded()),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, notIncluded()),
        cell(ON_PREMISES_GATEWAYS, notIncluded()),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));
    column(
        LicenseType.TRIAL,
        cell(DAILY_PPR, included(40_000, TRIAL_PPR)),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, included()),
        cell(CUSTOM_CONNECTORS, included()),
        cell(ATTENDED_RPA, included(1, "One attended bot included")),
        cell(UNATTENDED_RPA, included(1, "One unattended bot included")),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, included()),
        cell(ON_PREMISES_GATEWAYS, included()),
        cell(PROCESS_MINING, included()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded()),
        cell(DATAVERSE_FILE_STORAGE, notIncluded()));
    column(
        LicenseType.PER_USER,
        cell(DAILY_PPR, included(40_000, "40k per user")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, included()),
        cell(CUSTOM_CONNECTORS, included()),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, included()),
        cell(ON_PREMISES_GATEWAYS, included()),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, included(250, "250-MB per license")),
        cell(DATAVERSE_FILE_STORAGE, included(2_048, "2-GB per license")));
    column(
        FlowPlan.PER_FLOW,
        cell(DAILY_PPR, included(250_000, "250k per Per-flow plan (2) one per flow, not stacked")),
        cell(STANDARD_CONNECTORS, included()),
        cell(PREMIUM_CONNECTORS, included()),
        cell(CUSTOM_CONNECTORS, included()),
        cell(ATTENDED_RPA, notIncluded()),
        cell(UNATTENDED_RPA, notIncluded()),
        cell(HOSTED_RPA, notIncluded()),
        cell(BUSINESS_PROCESS_FLOWS, included()),
        cell(ON_PREMISES_GATEWAYS, included()),
        cell(PROCESS_MINING, notIncluded()),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded()),
        cell(AI_BUILDER_CREDITS, notIncluded()),
        cell(DATAVERSE_DATABASE_STORAGE, included(50, "50-MB per license")),
        cell(DATAVERSE_FILE_STORAGE, included(200, "200-MB per license")));

    // ---- L1 license types without a column in [003]: every cell is ours ----
    column(
        LicenseType.PREMIUM,
        cell(DAILY_PPR, included(40_000, PREMIUM_BEYOND)),
        cell(STANDARD_CONNECTORS, included(PREMIUM_BEYOND)),
        cell(PREMIUM_CONNECTORS, included(PREMIUM_BEYOND)),
        cell(CUSTOM_CONNECTORS, included(PREMIUM_BEYOND)),
        cell(ATTENDED_RPA, included(1, PREMIUM_PUBLIC + ": an attended bot on the workstation")),
        cell(UNATTENDED_RPA, notIncluded(PREMIUM_PUBLIC + ": unattended needs process capacity")),
        cell(HOSTED_RPA, notIncluded(PREMIUM_PUBLIC + ": hosted needs Hosted Process capacity")),
        cell(BUSINESS_PROCESS_FLOWS, included(PREMIUM_BEYOND)),
        cell(ON_PREMISES_GATEWAYS, included(PREMIUM_BEYOND)),
        cell(PROCESS_MINING, included(PREMIUM_PUBLIC + ": full Process Mining desktop")),
        cell(PROCESS_MINING_DATA_STORAGE, included(50, PREMIUM_PUBLIC + ": 50 MB per license")),
        cell(AI_BUILDER_CREDITS, included(5_000, PREMIUM_PUBLIC + ": 5,000 credits per license")),
        cell(DATAVERSE_DATABASE_STORAGE, included(250, PREMIUM_BEYOND)),
        cell(DATAVERSE_FILE_STORAGE, included(2_048, PREMIUM_BEYOND)));
    for (LicenseType legacy : List.of(LicenseType.P1, LicenseType.P2)) {
      column(
          legacy,
          cell(DAILY_PPR, included(40_000, LEGACY_BEYOND)),
          cell(STANDARD_CONNECTORS, included(LEGACY_BEYOND)),
          cell(PREMIUM_CONNECTORS, included(LEGACY_BEYOND)),
          cell(CUSTOM_CONNECTORS, included(LEGACY_BEYOND)),
          cell(ATTENDED_RPA, notIncluded(LEGACY_BEYOND)),
          cell(UNATTENDED_RPA, notIncluded(LEGACY_BEYOND)),
          cell(HOSTED_RPA, notIncluded(LEGACY_BEYOND)),
          cell(BUSINESS_PROCESS_FLOWS, included(LEGACY_BEYOND)),
          cell(ON_PREMISES_GATEWAYS, included(LEGACY_BEYOND)),
          cell(PROCESS_MINING, notIncluded(LEGACY_BEYOND)),
          cell(PROCESS_MINING_DATA_STORAGE, notIncluded(LEGACY_BEYOND)),
          cell(AI_BUILDER_CREDITS, notIncluded(LEGACY_BEYOND)),
          cell(DATAVERSE_DATABASE_STORAGE, included(250, LEGACY_BEYOND)),
          cell(DATAVERSE_FILE_STORAGE, included(2_048, LEGACY_BEYOND)));
    }
    column(
        LicenseType.DEVELOPER,
        cell(DAILY_PPR, included(6_000, "[beyond] [003] gives none; Free's 6k, the lowest one")),
        cell(STANDARD_CONNECTORS, included("[beyond] implied by access to all premium connectors")),
        cell(PREMIUM_CONNECTORS, included(DEVELOPER_DOC)),
        cell(CUSTOM_CONNECTORS, notIncluded(DEVELOPER_BEYOND)),
        cell(ATTENDED_RPA, notIncluded(DEVELOPER_NO_RPA_BPF)),
        cell(UNATTENDED_RPA, notIncluded(DEVELOPER_NO_RPA_BPF)),
        cell(HOSTED_RPA, notIncluded(DEVELOPER_NO_RPA_BPF)),
        cell(BUSINESS_PROCESS_FLOWS, notIncluded(DEVELOPER_NO_RPA_BPF)),
        cell(ON_PREMISES_GATEWAYS, notIncluded(DEVELOPER_BEYOND)),
        cell(PROCESS_MINING, notIncluded(DEVELOPER_BEYOND)),
        cell(PROCESS_MINING_DATA_STORAGE, notIncluded(DEVELOPER_BEYOND)),
        cell(AI_BUILDER_CREDITS, notIncluded(DEVELOPER_BEYOND)),
        cell(DATAVERSE_DATABASE_STORAGE, notIncluded(DEVELOPER_BEYOND)),
        cell(DATAVERSE_FILE_STORAGE, notIncluded(DEVELOPER_BEYOND)));

    for (LicenseType license : LicenseType.values()) {
      if (!TABLE.containsKey(license)) {
        throw new IllegalStateException("matrix: no column for " + license + " (expected: one)");
      }
    }
  }

  private EntitlementMatrix() {}

  /** The columns, in the order of the table: [003]'s own first, then ours. */
  public static List<EntitlementSource> columns() {
    return List.copyOf(TABLE.keySet());
  }

  /** Whether {@code source} has a column: every {@link LicenseType}, {@link FlowPlan#PER_FLOW}. */
  public static boolean hasColumn(EntitlementSource source) {
    return TABLE.containsKey(requireNonNull(source, "source"));
  }

  /**
   * The cell of {@code source} × {@code capability} (L2). Asking a flow plan without a column is an
   * INVALID_ARGUMENT: its rights are rules (P3, P4, P7), see {@link #flowPlanCovers}.
   */
  public static Entitlement lookup(EntitlementSource source, Capability capability) {
    requireNonNull(source, "source");
    requireNonNull(capability, "capability");
    Map<Capability, Entitlement> column = TABLE.get(source);
    if (column == null) {
      throw BotfleetException.invalid(
          ErrorReason.L2_NO_MATRIX_COLUMN,
          "source: "
              + source.name()
              + " has no column in the [003] matrix (expected: a license type or PER_FLOW; process"
              + " plans are covered by P3, P4 and P7)");
    }
    return column.get(capability);
  }

  /**
   * L3 ([beyond]): a user's daily request limit is the sum of their licenses' "Daily PPR limit"
   * cells. Each license type counts once: two records of one type (a renewal overlapping its
   * predecessor) do not double the limit. The Windows license contributes nothing.
   */
  public static long dailyRequestLimit(Collection<LicenseType> licenses) {
    requireNonNull(licenses, "licenses");
    EnumSet<LicenseType> distinct = EnumSet.noneOf(LicenseType.class);
    for (LicenseType license : licenses) {
      distinct.add(requireNonNull(license, "licenses contains null"));
    }
    long sum = 0;
    for (LicenseType license : distinct) {
      sum += lookup(license, DAILY_PPR).quantity();
    }
    return sum;
  }

  /**
   * The daily requests a flow plan gives its flow (M1) when {@code units} of it are allocated: P3
   * stacks per unit, P7 gives one figure however many bots cover the flow, P9 allows exactly one
   * plan. An associated flow (P4) is charged to its parent and a flow on user licenses to those
   * licenses (L3); asking for either is a FAILED_PRECONDITION naming the right bucket.
   */
  public static long flowDailyRequestLimit(FlowPlan plan, int units) {
    requireNonNull(plan, "plan");
    if (units < 1) {
      throw BotfleetException.invalid(
          ErrorReason.FLOW_PLAN_UNITS_INVALID, "units: " + units + " (expected: >= 1)");
    }
    return switch (plan) {
      case PROCESS -> Math.multiplyExact(PROCESS_DAILY_REQUESTS_PER_UNIT, (long) units);
      case PROCESS_INHERITED_FROM_MACHINE -> PROCESS_INHERITED_FROM_MACHINE_DAILY_REQUESTS;
      case PER_FLOW -> {
        if (units > PER_FLOW_MAX_PLANS_PER_FLOW) {
          throw BotfleetException.invalid(
              ErrorReason.P9_PER_FLOW_NOT_STACKABLE,
              "units: "
                  + units
                  + " (expected: at most "
                  + PER_FLOW_MAX_PLANS_PER_FLOW
                  + " Per-flow plan per cloud flow; its limit does not stack)");
        }
        yield PER_FLOW_DAILY_REQUESTS;
      }
      case ASSOCIATED_TO_PROCESS ->
          throw BotfleetException.precondition(
              ErrorReason.P4_CHARGED_TO_PARENT,
              "plan: ASSOCIATED_TO_PROCESS has no limit of its own (expected: charge the parent"
                  + " process flow's PROCESS limit, P4)");
      case OWNER_LICENSES ->
          throw BotfleetException.precondition(
              ErrorReason.L3_CHARGED_TO_LICENSES,
              "plan: OWNER_LICENSES has no flow limit (expected: charge the owner's licenses,"
                  + " dailyRequestLimit(licenses), L3)");
    };
  }

  /**
   * Whether {@code plan} entitles its flow to {@code capability} whatever the running user's
   * license: P3, P4 and P7 give standard, premium and custom connectors (and unattended runs, whose
   * bot the run queue still checks); Per-flow (P9) gives its column's included cells; a flow on
   * user licenses gets nothing from its plan.
   */
  public static boolean flowPlanCovers(FlowPlan plan, Capability capability) {
    requireNonNull(plan, "plan");
    requireNonNull(capability, "capability");
    if (plan.processBacked()) {
      return PROCESS_PLAN_CAPABILITIES.contains(capability);
    }
    if (plan == FlowPlan.PER_FLOW) {
      return lookup(plan, capability).included();
    }
    return false;
  }

  // ---- table helpers: short so the table above reads like the document ----

  private static Map.Entry<Capability, Entitlement> cell(Capability capability, Entitlement cell) {
    return Map.entry(capability, cell);
  }

  private static Entitlement included() {
    return new Entitlement(Entitlement.Level.INCLUDED, 0, "");
  }

  private static Entitlement included(String note) {
    return new Entitlement(Entitlement.Level.INCLUDED, 0, note);
  }

  private static Entitlement included(long quantity, String note) {
    return new Entitlement(Entitlement.Level.INCLUDED, quantity, note);
  }

  private static Entitlement limited(String note) {
    return new Entitlement(Entitlement.Level.INCLUDED_WITH_LIMITATIONS, 0, note);
  }

  private static Entitlement notIncluded() {
    return new Entitlement(Entitlement.Level.NOT_INCLUDED, 0, "");
  }

  private static Entitlement notIncluded(String note) {
    return new Entitlement(Entitlement.Level.NOT_INCLUDED, 0, note);
  }

  @SafeVarargs
  private static void column(
      EntitlementSource source, Map.Entry<Capability, Entitlement>... cells) {
    EnumMap<Capability, Entitlement> column = new EnumMap<>(Capability.class);
    for (Map.Entry<Capability, Entitlement> cell : cells) {
      if (column.put(cell.getKey(), cell.getValue()) != null) {
        throw new IllegalStateException(
            "matrix: " + source.name() + " × " + cell.getKey() + " given twice (expected: once)");
      }
    }
    EnumSet<Capability> missing = EnumSet.allOf(Capability.class);
    missing.removeAll(column.keySet());
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "matrix: " + source.name() + " lacks " + missing + " (expected: every capability)");
    }
    if (TABLE.put(source, Collections.unmodifiableMap(column)) != null) {
      throw new IllegalStateException("matrix: column " + source.name() + " given twice");
    }
  }
}
