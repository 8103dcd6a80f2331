package dev.botfleet.orchestrator.metering;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.OverLimitPolicy;
import dev.botfleet.orchestrator.admin.TenantRepository;
import dev.botfleet.orchestrator.admin.TenantSettings;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.flows.Charge;
import dev.botfleet.orchestrator.flows.CloudFlow;
import dev.botfleet.orchestrator.flows.CloudFlows;
import dev.botfleet.orchestrator.flows.FlowCharges;
import dev.botfleet.orchestrator.flows.FlowView;
import dev.botfleet.orchestrator.licensing.FlowPlan;
import dev.botfleet.orchestrator.metering.MeteringRepository.BucketDay;
import dev.botfleet.orchestrator.metering.MeteringRepository.Contribution;
import dev.botfleet.orchestrator.users.LicenseService;
import dev.botfleet.orchestrator.users.LicensedUser;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * M6 usage, explained: for a flow, a user or an environment, the buckets charged that day, who
 * consumed how much of each, and for a throttled one when its limit lifts. Reads what {@link
 * RequestRecorder} wrote.
 */
public final class UsageReports {
  private final Transactions tx;
  private final MeteringRepository repository;
  private final CloudFlows flows;
  private final FlowCharges charges;
  private final LicenseService licenses;
  private final EnvironmentService environments;
  private final TenantRepository tenant;
  private final Clock clock;
  private final BucketNames names;

  public UsageReports(
      Transactions tx,
      MeteringRepository repository,
      CloudFlows flows,
      FlowCharges charges,
      LicenseService licenses,
      EnvironmentService environments,
      TenantRepository tenant,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.repository = requireNonNull(repository, "repository");
    this.flows = requireNonNull(flows, "flows");
    this.charges = requireNonNull(charges, "charges");
    this.licenses = requireNonNull(licenses, "licenses");
    this.environments = requireNonNull(environments, "environments");
    this.tenant = requireNonNull(tenant, "tenant");
    this.clock = requireNonNull(clock, "clock");
    this.names = new BucketNames(flows, licenses);
  }

  public record ContributionView(
      String kind, String name, long requests, long overage, long throttled) {}

  public record BucketUsage(
      String bucket,
      FlowPlan plan,
      LocalDate day,
      long limit,
      long used,
      long overage,
      long throttled,
      Instant limitLiftsAt,
      List<ContributionView> contributions,
      String explanation) {}

  public record UsageReport(
      List<BucketUsage> buckets,
      Instant dayStart,
      Instant dayEnd,
      OverLimitPolicy policy,
      double multiplier) {}

  /** Usage of the bucket(s) a flow is charged to that day (today: its current bucket). */
  public UsageReport usageOfFlow(String flowName, String environmentName, LocalDate dayOrNull) {
    CloudFlow flow = flows.require(flowName, environmentName);
    return tx.inTransaction(
        () -> {
          TenantSettings s = tenant.get();
          LocalDate today = s.meteringDay(clock.instant());
          LocalDate day = dayOrNull == null ? today : dayOrNull;
          Set<BucketKey> keys = new LinkedHashSet<>();
          Map<BucketKey, Charge> current = new HashMap<>();
          if (day.equals(today)) {
            Charge c = charges.charge(flow);
            BucketKey k = new BucketKey(c.bucketKind(), c.bucketId(), day);
            keys.add(k);
            current.put(k, c);
          }
          keys.addAll(repository.bucketsOfSource("FLOW", flow.id(), day));
          return report(s, day, today, keys, current);
        });
  }

  public UsageReport usageOfUser(String userName, LocalDate dayOrNull) {
    LicensedUser user = licenses.requireUser(userName);
    return tx.inTransaction(
        () -> {
          TenantSettings s = tenant.get();
          LocalDate today = s.meteringDay(clock.instant());
          LocalDate day = dayOrNull == null ? today : dayOrNull;
          Charge c = charges.userCharge(user);
          BucketKey k = new BucketKey(Charge.BucketKind.USER, user.id(), day);
          return report(
              s,
              day,
              today,
              new LinkedHashSet<>(List.of(k)),
              day.equals(today) ? Map.of(k, c) : Map.of());
        });
  }

  /** Every bucket charged by the flows of an environment (their own, parents', owners'). */
  public UsageReport usageOfEnvironment(String environmentName, LocalDate dayOrNull) {
    Environment env = environments.require(environmentName);
    List<FlowView> views = flows.list(env.name());
    return tx.inTransaction(
        () -> {
          TenantSettings s = tenant.get();
          LocalDate today = s.meteringDay(clock.instant());
          LocalDate day = dayOrNull == null ? today : dayOrNull;
          Set<BucketKey> keys = new LinkedHashSet<>();
          Map<BucketKey, Charge> current = new HashMap<>();
          for (FlowView v : views) {
            if (day.equals(today)) {
              Charge c = v.charge();
              BucketKey k = new BucketKey(c.bucketKind(), c.bucketId(), day);
              keys.add(k);
              current.putIfAbsent(k, c);
            }
            keys.addAll(repository.bucketsOfSource("FLOW", v.flow().id(), day));
          }
          return report(s, day, today, keys, current);
        });
  }

  /** Today's counters for a flow's bucket: the bucket's used, the flow's own share, the limit. */
  public record FlowToday(long limit, long bucketUsed, long flowUsed) {}

  public FlowToday today(CloudFlow flow, Charge charge) {
    return tx.inTransaction(
        () -> {
          TenantSettings s = tenant.get();
          LocalDate day = s.meteringDay(clock.instant());
          BucketKey k = new BucketKey(charge.bucketKind(), charge.bucketId(), day);
          long used = repository.buckets(List.of(k)).stream().mapToLong(BucketDay::used).sum();
          long mine =
              repository.contributions(k).stream()
                  .filter(c -> c.sourceKind().equals("FLOW") && c.sourceId().equals(flow.id()))
                  .mapToLong(Contribution::requests)
                  .sum();
          return new FlowToday(s.effectiveLimit(charge.baseLimit()), used, mine);
        });
  }

  private UsageReport report(
      TenantSettings s,
      LocalDate day,
      LocalDate today,
      Set<BucketKey> keys,
      Map<BucketKey, Charge> current) {
    Map<BucketKey, BucketDay> rows = new HashMap<>();
    for (BucketDay b : repository.buckets(keys)) {
      rows.put(b.key(), b);
    }
    List<BucketUsage> result = new ArrayList<>();
    for (BucketKey k : keys) {
      BucketDay row = rows.get(k);
      Charge c = current.get(k);
      long limit;
      FlowPlan plan;
      if (c != null) {
        limit = s.effectiveLimit(c.baseLimit());
        plan = c.bucketPlan();
      } else if (row != null) {
        limit = row.dailyLimit();
        plan = FlowPlan.valueOf(row.plan());
      } else {
        continue;
      }
      long used = row == null ? 0 : row.used();
      Instant lifts = null;
      if (day.equals(today)
          && s.overLimit() == OverLimitPolicy.THROTTLE
          && row != null
          && (used >= limit || row.throttled() > 0)) {
        lifts = s.dayStart(day.plusDays(1));
      }
      List<ContributionView> who = new ArrayList<>();
      for (Contribution x : repository.contributions(k)) {
        who.add(
            new ContributionView(
                x.sourceKind().toLowerCase(java.util.Locale.ROOT),
                names.sourceName(x),
                x.requests(),
                x.overage(),
                x.throttled()));
      }
      who.sort(
          Comparator.comparingLong(ContributionView::requests)
              .reversed()
              .thenComparing(ContributionView::name));
      result.add(
          new BucketUsage(
              names.bucketName(k),
              plan,
              day,
              limit,
              used,
              row == null ? 0 : row.overage(),
              row == null ? 0 : row.throttled(),
              lifts,
              who,
              c != null ? c.explanation() : "charged under " + plan.rule() + " that day"));
    }
    return new UsageReport(
        result, s.dayStart(day), s.dayStart(day.plusDays(1)), s.overLimit(), s.limitMultiplier());
  }

  /** Gauges: today's buckets at or over {@code percent}% of their limit. */
  public long bucketsAtLeast(int percent) {
    return tx.inTransaction(
        () -> {
          TenantSettings s = tenant.get();
          return repository.countBucketsAtLeast(s.meteringDay(clock.instant()), percent);
        });
  }
}
