package dev.botfleet.orchestrator.licensing;

/**
 * The plan a cloud flow runs on: which entitlement covers it and which bucket its requests are
 * charged to (M1). The daily request figures are in {@link EntitlementMatrix}.
 */
public enum FlowPlan implements EntitlementSource {
  /** P3: a process unit is allocated to the flow ("Process plan"). */
  PROCESS("Process plan", "P3"),
  /** P4: associated to a process flow ("This flow is associated to run on process plan"). */
  ASSOCIATED_TO_PROCESS("Associated to run on process plan", "P4"),
  /** P7: the flow targets a machine (or group) holding at least one unattended bot. */
  PROCESS_INHERITED_FROM_MACHINE("Process plan inherited from machine", "P7"),
  /** P9: one legacy Per-flow plan allocated to the flow; a column of the [003] matrix. */
  PER_FLOW("Per-flow plan (legacy)", "P9"),
  /** No flow-level plan: the flow runs on its owner's (or invoker's) user licenses (L3). */
  OWNER_LICENSES("Owner's user licenses", "L3");

  private final String displayName;
  private final String rule;

  FlowPlan(String displayName, String rule) {
    this.displayName = displayName;
    this.rule = rule;
  }

  @Override
  public String displayName() {
    return displayName;
  }

  @Override
  public AppliesTo appliesTo() {
    return this == OWNER_LICENSES ? AppliesTo.USER : AppliesTo.CLOUD_FLOW;
  }

  /** The SPEC rule that defines this plan. */
  public String rule() {
    return rule;
  }

  /** The plans backed by process capacity (P1): a process flow, its associates, machine cover. */
  public boolean processBacked() {
    return this == PROCESS
        || this == ASSOCIATED_TO_PROCESS
        || this == PROCESS_INHERITED_FROM_MACHINE;
  }

  /** Whether the flow itself is licensed, so any user may run it whatever their license. */
  public boolean licensesTheFlow() {
    return this != OWNER_LICENSES;
  }

  /** P9: Per-flow is legacy, replaced by the Process license. */
  public boolean legacy() {
    return this == PER_FLOW;
  }
}
