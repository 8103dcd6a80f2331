package dev.botfleet.orchestrator.licensing;

/**
 * Something that carries entitlements: a column of the [003] entitlement matrix (L2). A user or
 * machine license ({@link LicenseType}) or a plan a cloud flow runs on ({@link FlowPlan}); sealed
 * so that {@link EntitlementMatrix} can be checked to have every column it may be asked about.
 */
public sealed interface EntitlementSource permits LicenseType, FlowPlan {

  /** The enum constant name, as it appears in the API and in the matrix. */
  String name();

  /** The product name as [003] prints it, for messages people read. */
  String displayName();

  /** The "Applied to" row of the matrix. */
  AppliesTo appliesTo();
}
