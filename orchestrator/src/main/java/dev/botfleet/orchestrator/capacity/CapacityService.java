package dev.botfleet.orchestrator.capacity;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.CapacityAllocationMode;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.admin.TenantRepository;
import dev.botfleet.orchestrator.capacity.CapacitySummary.EnvironmentUsage;
import dev.botfleet.orchestrator.capacity.CapacitySummary.OverCapacity;
import dev.botfleet.orchestrator.capacity.CapacitySummary.SkuTotals;
import dev.botfleet.orchestrator.capacity.CapacitySummary.SkuUsage;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Capacity add-ons: purchase (C1), allocate (C2, C5), consume (C3, C6), summary (C4, C7) and
 * overage (C8).
 *
 * <p>Every rule that bounds a count runs inside one transaction that first locks the SKU rows
 * ({@link Sku#lockSet()}), so two admins or two replicas can never push allocations past purchases,
 * or consumption past allocations.
 */
public final class CapacityService {
  /**
   * The most units of one SKU a tenant may hold or allocate to one environment (C1, C2, issue 7).
   */
  public static final long MAX_UNITS = 1_000_000_000L;

  private final Transactions tx;
  private final CapacityRepository repository;
  private final EnvironmentService environments;
  private final TenantRepository tenant;
  private final AuditLog audit;
  private final Clock clock;
  private final List<ConsumptionSource> consumers = new CopyOnWriteArrayList<>();

  public CapacityService(
      Transactions tx,
      CapacityRepository repository,
      EnvironmentService environments,
      TenantRepository tenant,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.repository = requireNonNull(repository, "repository");
    this.environments = requireNonNull(environments, "environments");
    this.tenant = requireNonNull(tenant, "tenant");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    consumers.add(new AppPassConsumption(repository));
  }

  /**
   * Areas that consume capacity (bots, process flows, hosted machines) register here at wiring
   * time.
   */
  public void addConsumptionSource(ConsumptionSource source) {
    consumers.add(requireNonNull(source, "source"));
  }

  // ---------------------------------------------------------------- C1 purchases, L6 trials

  public Purchase purchase(
      Principal caller, Sku sku, long quantity, boolean trial, String idempotencyKey) {
    Access.requireAnyRole(caller, "purchase capacity", Role.GLOBAL_ADMIN, Role.SERVICE_ADMIN);
    requireSku(sku);
    if (quantity <= 0 || quantity > MAX_UNITS) {
      throw BotfleetException.invalid(
          ErrorReason.C1_QUANTITY, "quantity: " + quantity + " (expected: 1 to " + MAX_UNITS + ")");
    }
    if (trial && !sku.offersTrial()) {
      throw BotfleetException.invalid(
          ErrorReason.L6_TRIAL_NOT_OFFERED,
          sku + " has no admin-managed trial (expected: PROCESS or HOSTED_PROCESS)");
    }
    String key = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey;
    return tx.inTransaction(
        () -> {
          if (key != null) {
            var existing = repository.findPurchaseByKey(key);
            if (existing.isPresent()) {
              return sameRequestOrConflict(existing.get(), sku, quantity, trial);
            }
          }
          Instant now = clock.instant();
          sku.lockSet().forEach(repository::lockSku);
          long held = purchased(sku, now);
          if (held > MAX_UNITS - quantity) {
            // Issue 7: sums of stored quantities never wrap; a purchase that would pass the cap is
            // refused.
            throw BotfleetException.precondition(
                ErrorReason.C1_PURCHASE_LIMIT,
                sku
                    + ": "
                    + held
                    + " "
                    + sku.unit()
                    + " purchased; "
                    + quantity
                    + " more would pass the most one SKU may hold ("
                    + MAX_UNITS
                    + ")");
          }
          Purchase purchase =
              new Purchase(
                  Ids.newId("pur"),
                  sku,
                  quantity,
                  trial,
                  now,
                  trial ? now.plus(Purchase.TRIAL_LENGTH) : null,
                  false,
                  key,
                  caller.name());
          if (!repository.insertPurchase(purchase)) {
            // A concurrent retry with the same key won the insert.
            return sameRequestOrConflict(
                repository.findPurchaseByKey(key).orElseThrow(), sku, quantity, trial);
          }
          audit.append(
              now,
              caller.name(),
              "capacity.purchase",
              "purchase=" + purchase.id() + " sku=" + sku,
              null,
              quantity + (trial ? " (trial until " + purchase.endsAt() + ")" : ""));
          return purchase;
        });
  }

  private static Purchase sameRequestOrConflict(
      Purchase existing, Sku sku, long quantity, boolean trial) {
    if (existing.sku() != sku || existing.quantity() != quantity || existing.trial() != trial) {
      throw BotfleetException.alreadyExists(
          ErrorReason.IDEMPOTENCY_KEY_REUSED,
          "idempotency key '"
              + existing.idempotencyKey()
              + "' was used for a different purchase ("
              + existing.id()
              + ") (expected: a new key for a new purchase)");
    }
    return existing;
  }

  public List<Purchase> purchases() {
    return tx.inTransaction(repository::listPurchases);
  }

  /** L6: a trial can be extended once, by 30 days, before it ends. */
  public Purchase extendTrial(Principal caller, String purchaseId) {
    Access.requireAnyRole(caller, "extend trials", Role.GLOBAL_ADMIN, Role.SERVICE_ADMIN);
    return tx.inTransaction(
        () -> {
          Purchase p =
              repository
                  .findPurchase(purchaseId, true)
                  .orElseThrow(
                      () ->
                          BotfleetException.notFound(
                              ErrorReason.PURCHASE_NOT_FOUND,
                              "purchase '"
                                  + purchaseId
                                  + "' does not exist (see `botfleet capacity purchases`)"));
          if (!p.trial()) {
            throw BotfleetException.precondition(
                ErrorReason.L6_NOT_A_TRIAL,
                "purchase " + purchaseId + " is paid, not a trial; only trials are extended");
          }
          if (p.extended()) {
            throw BotfleetException.precondition(
                ErrorReason.L6_ALREADY_EXTENDED,
                "trial "
                    + purchaseId
                    + " was already extended once (ends "
                    + p.endsAt()
                    + "); purchase the units to keep them");
          }
          Instant now = clock.instant();
          if (!now.isBefore(p.endsAt())) {
            throw BotfleetException.precondition(
                ErrorReason.L6_TRIAL_ENDED,
                "trial " + purchaseId + " ended at " + p.endsAt() + "; start a new purchase");
          }
          Instant newEnd = p.endsAt().plus(Purchase.TRIAL_LENGTH);
          repository.updatePurchaseEnd(p.id(), newEnd, true);
          audit.append(
              now,
              caller.name(),
              "capacity.extend-trial",
              "purchase=" + p.id(),
              p.endsAt().toString(),
              newEnd.toString());
          return repository.findPurchase(p.id(), false).orElseThrow();
        });
  }

  // ---------------------------------------------------------------- C2, C5 allocation

  public record AllocationChange(Sku sku, Environment environment, long before, long after) {}

  /** C6: add-ons are allocated to environments only; a user target is always refused. */
  public void refuseUserAllocation(Sku sku, String user) {
    if (sku == Sku.APP_PASS) {
      throw BotfleetException.precondition(
          ErrorReason.C6_APP_PASS_ENVIRONMENT_ONLY,
          "app passes are allocated to environments, not to users like '"
              + user
              + "': allocate them to an environment, then each app share with "
              + user
              + " there (ShareApp) consumes one");
    }
    throw BotfleetException.precondition(
        ErrorReason.C2_ENVIRONMENT_ONLY,
        "capacity add-ons are allocated to environments, not to users (expected: target environment)");
  }

  /**
   * Sets the units of {@code sku} allocated to {@code environmentName} (absolute, so a retry is
   * harmless). C2: the sum of a SKU's allocations never exceeds its purchased units, and an
   * allocation never drops below what is consumed there. C5: governance decides who may call.
   */
  public AllocationChange allocate(
      Principal caller, String environmentName, Sku sku, long quantity) {
    requireSku(sku);
    if (quantity < 0 || quantity > MAX_UNITS) {
      throw BotfleetException.invalid(
          ErrorReason.C2_QUANTITY, "quantity: " + quantity + " (expected: 0 to " + MAX_UNITS + ")");
    }
    Environment env = environments.require(environmentName);
    return tx.inTransaction(
        () -> {
          checkGovernance(caller, env);
          sku.lockSet().forEach(repository::lockSku);
          Instant now = clock.instant();
          long purchased = purchased(sku, now);
          Allocation current = repository.findAllocation(env.id(), sku, true).orElse(null);
          long before = current == null ? 0 : current.quantity();
          if (quantity == before) {
            return new AllocationChange(sku, env, before, quantity);
          }
          if (quantity > before) {
            long allocatedElsewhere =
                repository.listAllocations(sku).stream()
                    .filter(a -> !a.environmentId().equals(env.id()))
                    .mapToLong(Allocation::quantity)
                    .reduce(0, CapacityService::saturatedAdd);
            long free = purchased - saturatedAdd(allocatedElsewhere, before);
            if (saturatedAdd(allocatedElsewhere, before) > purchased) {
              throw BotfleetException.precondition(
                  ErrorReason.C8_OVER_CAPACITY,
                  sku
                      + " is over capacity: "
                      + saturatedAdd(allocatedElsewhere, before)
                      + " allocated but "
                      + purchased
                      + " purchased; no allocation can grow until purchases cover allocations (see `botfleet capacity summary`)");
            }
            if (saturatedAdd(allocatedElsewhere, quantity) > purchased) {
              throw BotfleetException.precondition(
                  ErrorReason.C2_EXCEEDS_PURCHASED,
                  sku
                      + ": cannot allocate "
                      + quantity
                      + " "
                      + sku.unit()
                      + " to '"
                      + env.name()
                      + "': "
                      + purchased
                      + " purchased, "
                      + allocatedElsewhere
                      + " allocated elsewhere (expected: at most "
                      + (before + Math.max(free, 0))
                      + ")");
            }
          } else {
            checkNotBelowConsumption(env, sku, quantity);
          }
          Instant raisedAt = quantity > before || current == null ? now : current.raisedAt();
          repository.saveAllocation(new Allocation(env.id(), sku, quantity, raisedAt), now);
          audit.append(
              now,
              caller.name(),
              "capacity.allocate",
              "environment=" + env.name() + " sku=" + sku,
              Long.toString(before),
              Long.toString(quantity));
          return new AllocationChange(sku, env, before, quantity);
        });
  }

  private void checkGovernance(Principal caller, Environment env) {
    CapacityAllocationMode mode = tenant.get().capacityAllocation();
    if (mode == CapacityAllocationMode.ONLY_SPECIFIC_ADMINS) {
      if (!caller.isTenantAdmin()) {
        throw BotfleetException.denied(
            ErrorReason.C5_ONLY_SPECIFIC_ADMINS,
            caller.name()
                + " may not allocate add-on capacity: the tenant allows only GLOBAL_ADMIN, SERVICE_ADMIN and DELEGATED_ADMIN");
      }
      return;
    }
    if (!caller.isAdminOf(env.id())) {
      throw BotfleetException.denied(
          ErrorReason.C5_ENVIRONMENT_ADMIN_REQUIRED,
          caller.name()
              + " may not allocate add-on capacity to '"
              + env.name()
              + "' (expected: an admin of that environment)");
    }
  }

  private void checkNotBelowConsumption(Environment env, Sku sku, long quantity) {
    long consumed;
    long coveredByNewAllocation;
    if (sku.inProcessPool()) {
      // P1: the pool is what is consumed; the other pool SKU's allocation still covers part of it.
      Sku other = sku == Sku.PROCESS ? Sku.UNATTENDED_RPA : Sku.PROCESS;
      long otherAllocated =
          repository.findAllocation(env.id(), other, false).map(Allocation::quantity).orElse(0L);
      consumed = consumedIn(env.id(), Sku.PROCESS) + consumedIn(env.id(), Sku.UNATTENDED_RPA);
      coveredByNewAllocation = quantity + otherAllocated;
    } else {
      consumed = consumedIn(env.id(), sku);
      coveredByNewAllocation = quantity;
    }
    if (coveredByNewAllocation < consumed) {
      StringBuilder what = new StringBuilder();
      for (ConsumptionSource source : consumers) {
        String d = source.describe(env.id(), sku);
        if (d != null && !d.isBlank()) {
          what.append(what.length() == 0 ? "" : "; ").append(d);
        }
      }
      throw BotfleetException.precondition(
          ErrorReason.C2_BELOW_CONSUMED,
          sku
              + ": cannot lower '"
              + env.name()
              + "' to "
              + quantity
              + " "
              + sku.unit()
              + ": "
              + consumed
              + " are consumed there ("
              + what
              + "); release them first");
    }
  }

  // ---------------------------------------------------------------- C3, C8 consumption checks

  /**
   * For consumers: call inside a transaction before consuming one more unit of {@code sku} in an
   * environment. Locks the SKU rows, refuses when the SKU is over capacity (C8) or the environment
   * has no unconsumed allocated unit (C3). Returns the units still free there.
   */
  public long requireFreeUnit(
      String environmentId, Sku sku, ErrorReason reasonIfNone, String whatIfNone) {
    sku.lockSet().forEach(repository::lockSku);
    Over over = firstOver(sku, clock.instant());
    if (over != null) {
      throw BotfleetException.precondition(
          ErrorReason.C8_OVER_CAPACITY,
          over.sku()
              + " is over capacity ("
              + over.allocated()
              + " allocated, "
              + over.purchased()
              + " purchased): new consumption is refused until purchases cover allocations");
    }
    long free = freeIn(environmentId, sku);
    if (free <= 0) {
      throw BotfleetException.exhausted(reasonIfNone, whatIfNone);
    }
    return free;
  }

  /**
   * C8: whether the SKU (or one it shares a pool with) is over capacity now: more allocated than
   * purchased, so new consumption of it is refused until purchases cover the allocations.
   */
  public boolean overCapacity(Sku sku) {
    return tx.inTransaction(() -> firstOver(sku, clock.instant()) != null);
  }

  private record Over(Sku sku, long allocated, long purchased) {}

  /** The first SKU of {@code sku}'s pool with more allocated than purchased at {@code now}. */
  private Over firstOver(Sku sku, Instant now) {
    for (Sku s : sku.lockSet()) {
      long purchased = purchased(s, now);
      long allocated =
          repository.listAllocations(s).stream()
              .mapToLong(Allocation::quantity)
              .reduce(0, CapacityService::saturatedAdd);
      if (allocated > purchased) {
        return new Over(s, allocated, purchased);
      }
    }
    return null;
  }

  /** Allocated minus consumed in one environment (pool-wide for PROCESS/UNATTENDED_RPA). */
  public long freeIn(String environmentId, Sku sku) {
    return tx.inTransaction(
        () -> {
          long allocated = 0;
          long consumed = 0;
          for (Sku s : sku.lockSet()) {
            allocated +=
                repository
                    .findAllocation(environmentId, s, false)
                    .map(Allocation::quantity)
                    .orElse(0L);
            consumed += consumedIn(environmentId, s);
          }
          return allocated - consumed;
        });
  }

  private long consumedIn(String environmentId, Sku sku) {
    long total = 0;
    for (ConsumptionSource source : consumers) {
      total += source.consumedIn(environmentId).getOrDefault(sku, 0L);
    }
    return total;
  }

  // ---------------------------------------------------------------- C6 app passes

  public record ShareResult(AppShare share, boolean created) {}

  /** C6: sharing an app with a user in an environment consumes one pass (one per user and app). */
  public ShareResult shareApp(Principal caller, String environmentName, String app, String user) {
    Names.require("app", app);
    Names.require("user", user);
    Environment env = environments.require(environmentName);
    Access.requireMakerIn(caller, env.id(), env.name(), "share apps in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          Instant now = clock.instant();
          var existing =
              repository.listAppShares(env.id()).stream()
                  .filter(s -> s.app().equals(app) && s.user().equals(user))
                  .findFirst();
          if (existing.isPresent()) {
            return new ShareResult(existing.get(), false);
          }
          requireFreeUnit(
              env.id(),
              Sku.APP_PASS,
              ErrorReason.C6_NO_APP_PASS,
              "no app pass left in '"
                  + env.name()
                  + "' to share '"
                  + app
                  + "' with "
                  + user
                  + ": every allocated pass is consumed; allocate more (SetAllocation, environment "
                  + env.name()
                  + ", sku APP_PASS)");
          AppShare share = new AppShare(env.id(), app, user, now);
          if (!repository.insertAppShare(share)) {
            return new ShareResult(share, false);
          }
          audit.append(
              now,
              caller.name(),
              "app.share",
              "environment=" + env.name() + " app=" + app,
              null,
              user);
          return new ShareResult(share, true);
        });
  }

  public boolean unshareApp(Principal caller, String environmentName, String app, String user) {
    Environment env = environments.require(environmentName);
    Access.requireMakerIn(caller, env.id(), env.name(), "unshare apps in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          boolean removed = repository.deleteAppShare(env.id(), app, user);
          if (removed) {
            audit.append(
                clock.instant(),
                caller.name(),
                "app.unshare",
                "environment=" + env.name() + " app=" + app,
                user,
                null);
          }
          return removed;
        });
  }

  public List<AppShare> appShares(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(() -> repository.listAppShares(env.id()));
  }

  // ---------------------------------------------------------------- C4, C7, C8 summary

  public CapacitySummary summary() {
    return tx.inTransaction(
        () -> {
          Instant now = clock.instant();
          List<Environment> envs = environments.list();
          Map<String, Environment> byId = new HashMap<>();
          envs.forEach(e -> byId.put(e.id(), e));
          List<Allocation> allocations = repository.listAllocations();
          Map<String, Map<Sku, Long>> consumed = new HashMap<>();
          for (ConsumptionSource source : consumers) {
            source
                .consumedByEnvironment()
                .forEach(
                    (envId, bySku) ->
                        bySku.forEach(
                            (sku, n) ->
                                consumed
                                    .computeIfAbsent(envId, k -> new EnumMap<>(Sku.class))
                                    .merge(sku, n, Long::sum)));
          }
          Map<Sku, Long> purchasedBySku = new EnumMap<>(Sku.class);
          for (Purchase p : repository.listPurchases()) {
            if (p.activeAt(now)) {
              purchasedBySku.merge(p.sku(), p.quantity(), CapacityService::saturatedAdd);
            }
          }
          Map<String, Map<Sku, Long>> allocatedByEnv = new HashMap<>();
          for (Allocation a : allocations) {
            allocatedByEnv
                .computeIfAbsent(a.environmentId(), k -> new EnumMap<>(Sku.class))
                .put(a.sku(), a.quantity());
          }
          // C8: walk each SKU's allocations oldest first; whatever purchases do not cover is over.
          Map<String, Map<Sku, Long>> overByEnv = new HashMap<>();
          List<OverCapacity> over = new ArrayList<>();
          for (Sku sku : Sku.values()) {
            long purchased = purchasedBySku.getOrDefault(sku, 0L);
            long covered = 0;
            List<Allocation> ofSku =
                allocations.stream()
                    .filter(a -> a.sku() == sku && a.quantity() > 0)
                    .sorted(
                        Comparator.comparing(Allocation::raisedAt)
                            .thenComparing(Allocation::environmentId))
                    .toList();
            long allocatedTotal =
                ofSku.stream()
                    .mapToLong(Allocation::quantity)
                    .reduce(0, CapacityService::saturatedAdd);
            for (Allocation a : ofSku) {
              long coveredHere = Math.max(0, Math.min(a.quantity(), purchased - covered));
              covered += coveredHere;
              long unitsOver = a.quantity() - coveredHere;
              if (unitsOver > 0) {
                Environment env = byId.get(a.environmentId());
                overByEnv
                    .computeIfAbsent(a.environmentId(), k -> new EnumMap<>(Sku.class))
                    .put(sku, unitsOver);
                over.add(
                    new OverCapacity(
                        sku,
                        env,
                        unitsOver,
                        "purchase "
                            + (allocatedTotal - purchased)
                            + " more "
                            + sku
                            + " "
                            + sku.unit()
                            + ", or lower '"
                            + env.name()
                            + "' to "
                            + (a.quantity() - unitsOver)
                            + " (SetAllocation, environment "
                            + env.name()
                            + ", sku "
                            + sku
                            + ", quantity "
                            + (a.quantity() - unitsOver)
                            + ")",
                        a.raisedAt()));
              }
            }
          }
          // Newest first, as C8 flags them.
          over.sort(Comparator.comparing(OverCapacity::raisedAt).reversed());
          List<EnvironmentUsage> envUsage = new ArrayList<>();
          Map<Sku, Long> consumedBySku = new EnumMap<>(Sku.class);
          for (Environment env : envs) {
            Map<Sku, Long> alloc = allocatedByEnv.getOrDefault(env.id(), Map.of());
            Map<Sku, Long> cons = poolSplit(alloc, consumed.getOrDefault(env.id(), Map.of()));
            Map<Sku, Long> overs = overByEnv.getOrDefault(env.id(), Map.of());
            List<SkuUsage> usage = new ArrayList<>();
            for (Sku sku : Sku.values()) {
              long a = alloc.getOrDefault(sku, 0L);
              long c = cons.getOrDefault(sku, 0L);
              consumedBySku.merge(sku, c, Long::sum);
              if (a > 0 || c > 0) {
                usage.add(new SkuUsage(sku, a, c, overs.getOrDefault(sku, 0L)));
              }
            }
            envUsage.add(new EnvironmentUsage(env, usage));
          }
          List<SkuTotals> totals = new ArrayList<>();
          for (Sku sku : Sku.values()) {
            long allocated =
                allocations.stream()
                    .filter(a -> a.sku() == sku)
                    .mapToLong(Allocation::quantity)
                    .reduce(0, CapacityService::saturatedAdd);
            totals.add(
                new SkuTotals(
                    sku,
                    purchasedBySku.getOrDefault(sku, 0L),
                    allocated,
                    consumedBySku.getOrDefault(sku, 0L)));
          }
          return new CapacitySummary(totals, envUsage, over);
        });
  }

  /**
   * Consumers report pool consumption as PROCESS (P1); show it against PROCESS first and the
   * remainder against UNATTENDED_RPA, so each SKU's consumed never exceeds its allocation unless
   * the pool itself is overdrawn.
   */
  private static Map<Sku, Long> poolSplit(Map<Sku, Long> allocated, Map<Sku, Long> consumed) {
    Map<Sku, Long> result = new EnumMap<>(Sku.class);
    result.putAll(consumed);
    long pool =
        consumed.getOrDefault(Sku.PROCESS, 0L) + consumed.getOrDefault(Sku.UNATTENDED_RPA, 0L);
    long process = allocated.getOrDefault(Sku.PROCESS, 0L);
    long urpa = allocated.getOrDefault(Sku.UNATTENDED_RPA, 0L);
    long onProcess = Math.min(pool, process);
    long onUrpa = urpa > 0 ? pool - onProcess : 0;
    onProcess = pool - onUrpa;
    result.put(Sku.PROCESS, onProcess);
    result.put(Sku.UNATTENDED_RPA, onUrpa);
    return result;
  }

  private long purchased(Sku sku, Instant now) {
    return repository.listPurchases().stream()
        .filter(p -> p.sku() == sku && p.activeAt(now))
        .mapToLong(Purchase::quantity)
        .reduce(0, CapacityService::saturatedAdd);
  }

  /** Sums of stored quantities saturate instead of wrapping to negative capacity (issue 7). */
  static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }

  private static void requireSku(Sku sku) {
    if (sku == null) {
      throw BotfleetException.invalid(
          ErrorReason.SKU_REQUIRED,
          "sku: missing (expected: one of " + java.util.Arrays.toString(Sku.values()) + ")");
    }
  }

  /** C6: app passes are consumed by app shares. */
  private record AppPassConsumption(CapacityRepository repository) implements ConsumptionSource {
    @Override
    public Map<Sku, Long> consumedIn(String environmentId) {
      return Map.of(Sku.APP_PASS, repository.countAppShares(environmentId));
    }

    @Override
    public Map<String, Map<Sku, Long>> consumedByEnvironment() {
      Map<String, Map<Sku, Long>> result = new HashMap<>();
      repository
          .countAppSharesByEnvironment()
          .forEach((env, n) -> result.put(env, Map.of(Sku.APP_PASS, n)));
      return result;
    }

    @Override
    public String describe(String environmentId, Sku sku) {
      if (sku != Sku.APP_PASS) {
        return "";
      }
      List<AppShare> shares = repository.listAppShares(environmentId);
      return shares.size()
          + " app shares ("
          + shares.stream().limit(5).map(s -> s.app() + "→" + s.user()).toList()
          + (shares.size() > 5 ? "…" : "")
          + ")";
    }
  }
}
