package dev.botfleet.orchestrator.flows;

import static java.util.Objects.requireNonNull;

import dev.botfleet.orchestrator.licensing.FlowPlan;

/**
 * Where a flow's (or a user's) requests are charged (M1): exactly one bucket.
 *
 * @param plan the plan of the flow the requests come from (OWNER_LICENSES for a user's own)
 * @param bucketKind FLOW (a flow's own plan: P3, P7, P9; P4 charges the parent's) or USER (L3)
 * @param bucketId the flow id or user id of the bucket
 * @param bucketName "flow:NAME" or "user:NAME", for people
 * @param bucketPlan the plan that gives the bucket its limit (PROCESS,
 *     PROCESS_INHERITED_FROM_MACHINE, PER_FLOW or OWNER_LICENSES)
 * @param baseLimit the bucket's daily request limit before the M3 multiplier
 * @param explanation why this bucket, in words, naming the rule
 */
public record Charge(
    FlowPlan plan,
    BucketKind bucketKind,
    String bucketId,
    String bucketName,
    FlowPlan bucketPlan,
    long baseLimit,
    String explanation) {

  public enum BucketKind {
    FLOW,
    USER
  }

  public Charge {
    requireNonNull(plan, "plan");
    requireNonNull(bucketKind, "bucketKind");
    requireNonNull(bucketId, "bucketId");
    requireNonNull(bucketName, "bucketName");
    requireNonNull(bucketPlan, "bucketPlan");
    requireNonNull(explanation, "explanation");
  }
}
