package dev.botfleet.orchestrator.flows;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import dev.botfleet.orchestrator.licensing.FlowPlan;
import dev.botfleet.orchestrator.licensing.LicenseType;
import dev.botfleet.orchestrator.users.LicenseService;
import dev.botfleet.orchestrator.users.LicensedUser;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * M1 charging: the one bucket a cloud flow's (or a user's own) requests are charged to, and a
 * version that grows with every change that may change a charge, so metering can cache charges.
 */
public final class FlowCharges {
  private final Transactions tx;
  private final FlowRepository flows;
  private final LicenseService licenses;
  private final AtomicLong version = new AtomicLong();

  public FlowCharges(Transactions tx, FlowRepository flows, LicenseService licenses) {
    this.tx = requireNonNull(tx, "tx");
    this.flows = requireNonNull(flows, "flows");
    this.licenses = requireNonNull(licenses, "licenses");
  }

  /**
   * Grows with every change to flows, plans or licenses made through this replica (metering caches
   * charges against it). P7 cover changes with bots and runs, which this counter does not see.
   */
  public long version() {
    return version.get() + licenses.version();
  }

  /** Called by the flow classes after a change to flows, plans or associations. */
  void changed() {
    version.incrementAndGet();
  }

  /**
   * M1: the one bucket the flow's requests are charged to, decided in this order (the first that
   * applies wins):
   *
   * <ol>
   *   <li>P3: the flow has process units → its own bucket, 250,000 per unit;
   *   <li>P4: it is associated to a parent that is a process flow now (P3 units or P7 cover) → the
   *       parent's bucket and limit;
   *   <li>P7: a target it triggered a run on holds a bot now → its own bucket, 250,000;
   *   <li>P9: it has a per-flow plan → its own bucket, 250,000;
   *   <li>L3: otherwise its owner's licenses → the owner's user bucket, the sum of their limits.
   * </ol>
   *
   * An associated flow whose parent lost its process backing falls through to 3–5 for itself.
   */
  public Charge charge(CloudFlow flow) {
    return tx.inTransaction(
        () -> {
          Optional<Charge> own =
              ownProcessCharge(flow, flow.processUnits() > 0 ? FlowPlan.PROCESS : null);
          if (own.isPresent()) {
            return own.get();
          }
          if (flow.parentId() != null) {
            CloudFlow parent = flows.findById(flow.parentId(), false).orElse(null);
            if (parent != null) {
              Optional<Charge> parentCharge = processBacked(parent);
              if (parentCharge.isPresent()) {
                Charge p = parentCharge.get();
                return new Charge(
                    FlowPlan.ASSOCIATED_TO_PROCESS,
                    p.bucketKind(),
                    p.bucketId(),
                    p.bucketName(),
                    p.bucketPlan(),
                    p.baseLimit(),
                    "P4: '"
                        + flow.name()
                        + "' is associated to process flow '"
                        + parent.name()
                        + "'; its requests count against the parent's "
                        + p.bucketPlan().displayName()
                        + " ("
                        + p.explanation()
                        + ")");
              }
            }
          }
          Optional<String> cover = flows.coveringTarget(flow.environmentId(), flow.name());
          if (cover.isPresent()) {
            return new Charge(
                FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                Charge.BucketKind.FLOW,
                flow.id(),
                "flow:" + flow.name(),
                FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS_INHERITED_FROM_MACHINE, 1),
                "P7: '"
                    + flow.name()
                    + "' triggered runs on "
                    + cover.get()
                    + ", which holds at least one bot; 250,000 requests a day, not stacked");
          }
          if (flow.perFlow()) {
            return new Charge(
                FlowPlan.PER_FLOW,
                Charge.BucketKind.FLOW,
                flow.id(),
                "flow:" + flow.name(),
                FlowPlan.PER_FLOW,
                EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PER_FLOW, 1),
                "P9: '"
                    + flow.name()
                    + "' has a per-flow plan; 250,000 requests a day, not stacked");
          }
          LicensedUser owner = licenses.requireUserById(flow.ownerId());
          Set<LicenseType> active = licenses.activeLicenses(owner.id());
          return new Charge(
              FlowPlan.OWNER_LICENSES,
              Charge.BucketKind.USER,
              owner.id(),
              "user:" + owner.name(),
              FlowPlan.OWNER_LICENSES,
              EntitlementMatrix.dailyRequestLimit(active),
              "L3: '"
                  + flow.name()
                  + "' has no flow plan; its requests count against owner "
                  + owner.name()
                  + "'s licenses "
                  + active);
        });
  }

  /** L3: a user's own requests (outside any flow) are charged to their licenses. */
  public Charge userCharge(LicensedUser user) {
    Set<LicenseType> active = licenses.activeLicenses(user.id());
    return new Charge(
        FlowPlan.OWNER_LICENSES,
        Charge.BucketKind.USER,
        user.id(),
        "user:" + user.name(),
        FlowPlan.OWNER_LICENSES,
        EntitlementMatrix.dailyRequestLimit(active),
        "L3: " + user.name() + "'s requests count against the sum of their licenses " + active);
  }

  private Optional<Charge> ownProcessCharge(CloudFlow flow, FlowPlan plan) {
    if (plan != FlowPlan.PROCESS) {
      return Optional.empty();
    }
    return Optional.of(
        new Charge(
            FlowPlan.PROCESS,
            Charge.BucketKind.FLOW,
            flow.id(),
            "flow:" + flow.name(),
            FlowPlan.PROCESS,
            EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS, flow.processUnits()),
            "P3: '"
                + flow.name()
                + "' holds "
                + flow.processUnits()
                + " process unit"
                + (flow.processUnits() == 1 ? "" : "s")
                + " × 250,000 requests a day (stacked)"));
  }

  /** The flow's own process backing (P3 or P7) that associated flows can be charged to, if any. */
  Optional<Charge> processBacked(CloudFlow flow) {
    if (flow.processUnits() > 0) {
      return ownProcessCharge(flow, FlowPlan.PROCESS);
    }
    return flows
        .coveringTarget(flow.environmentId(), flow.name())
        .map(
            cover ->
                new Charge(
                    FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                    Charge.BucketKind.FLOW,
                    flow.id(),
                    "flow:" + flow.name(),
                    FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                    EntitlementMatrix.PROCESS_INHERITED_FROM_MACHINE_DAILY_REQUESTS,
                    "P7: '" + flow.name() + "' is covered by " + cover));
  }
}
