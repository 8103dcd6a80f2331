package dev.botfleet.orchestrator.licensing;

/** What a license or plan is attached to: the "Applied to" row of the [003] matrix (L1, L2). */
public enum AppliesTo {
  USER,
  MACHINE,
  CLOUD_FLOW
}
