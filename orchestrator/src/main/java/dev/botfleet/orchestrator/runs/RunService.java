package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.MachineGroup;
import dev.botfleet.orchestrator.machines.MachineGroups;
import dev.botfleet.orchestrator.machines.MachineStatus;
import dev.botfleet.orchestrator.machines.Machines;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Desktop-flow runs: submission (R1, R4, R6, R10), reading with wait reasons (R8), cancellation
 * (R7) and desktop-flow defaults. The rules decide here; every write of run state goes through
 * {@link RunLifecycle}.
 */
public final class RunService {
  public static final int MAX_INPUTS_BYTES = 60_000;

  /**
   * Longest queue or run time-out (R10). Bounded so every deadline computed from one fits a
   * timestamp; 2^63-1 seconds once made dispatch fail for every run behind it (issue 7).
   */
  public static final Duration MAX_TIMEOUT = Duration.ofDays(30);

  private final Transactions tx;
  private final RunRepository runs;
  private final Machines machines;
  private final MachineGroups groups;
  private final EnvironmentService environments;
  private final CapacityService capacity;
  private final AuditLog audit;
  private final Clock clock;
  private static final Duration FLOW_DEFAULTS_TTL = Duration.ofSeconds(5);
  private final Map<String, CachedFlow> flowDefaults =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final RunLifecycle lifecycle;

  public RunService(
      Transactions tx,
      RunRepository runs,
      RunLifecycle lifecycle,
      Machines machines,
      MachineGroups groups,
      EnvironmentService environments,
      CapacityService capacity,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.machines = requireNonNull(machines, "machines");
    this.groups = requireNonNull(groups, "groups");
    this.environments = requireNonNull(environments, "environments");
    this.capacity = requireNonNull(capacity, "capacity");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  // ------------------------------------------------------------------ R1, R4, R6, R10 submit

  public record SubmitRequest(
      String environment,
      String flow,
      RunTarget.Kind targetKind,
      String targetName,
      Priority priority,
      Map<String, String> inputs,
      String triggeringFlow,
      Duration queueTimeout,
      Duration runTimeout,
      String idempotencyKey) {}

  public record Submitted(Run run, boolean created) {}

  public Submitted submit(Principal caller, SubmitRequest req) {
    Checked c = check(caller, req);
    if (c.key() != null) {
      var existing = tx.inTransaction(() -> runs.findByKey(c.env().id(), c.key()));
      if (existing.isPresent()) {
        return new Submitted(sameOrConflict(existing.get(), c.env(), req), false);
      }
    }
    Run run = prepare(caller, req, c, null);
    if (!lifecycle.submit(run)) {
      // A concurrent retry with the same key won (R6).
      return retried(c, req);
    }
    return new Submitted(run, true);
  }

  /** Most runs one {@link #submitAll} takes (issue 9); the API refuses more. */
  public static final int MAX_BATCH = 1000;

  /**
   * What one run of a batch came to: {@code submitted}, or the {@code error} that {@link #submit}
   * would have thrown for it (exactly one is set).
   */
  public record BatchResult(Submitted submitted, RuntimeException error) {
    static BatchResult of(Submitted s) {
      return new BatchResult(s, null);
    }

    static BatchResult failed(RuntimeException e) {
      return new BatchResult(null, e);
    }
  }

  /**
   * Issue 9: submits many runs at once, each exactly as {@link #submit} would (R1, R4, R6, R10 and
   * the caller's rights per environment), and answers each on its own, in order: one bad run does
   * not refuse the others. The idempotency keys of the batch are looked up in one query per
   * environment, and the new runs go to the group-commit writer together, so a batch of 1,000 costs
   * a couple of transactions, not 1,000. A key used twice within the batch acts once: the second is
   * the first's retry (or refused IDEMPOTENCY_KEY_REUSED if it differs).
   */
  public List<BatchResult> submitAll(Principal caller, List<SubmitRequest> reqs) {
    requireNonNull(caller, "caller");
    if (reqs.isEmpty()) {
      throw BotfleetException.invalid(
          ErrorReason.R1_BATCH_EMPTY, "runs: none (expected: 1 to " + MAX_BATCH + " runs)");
    }
    if (reqs.size() > MAX_BATCH) {
      throw BotfleetException.invalid(
          ErrorReason.INVALID_ARGUMENT_TOO_MANY,
          "runs: " + reqs.size() + " items (expected: at most " + MAX_BATCH + ")");
    }
    int n = reqs.size();
    BatchResult[] results = new BatchResult[n];
    Checked[] checked = new Checked[n];
    Map<String, java.util.Set<String>> keysByEnv = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      try {
        checked[i] = check(caller, reqs.get(i));
        if (checked[i].key() != null) {
          keysByEnv
              .computeIfAbsent(checked[i].env().id(), e -> new java.util.LinkedHashSet<>())
              .add(checked[i].key());
        }
      } catch (RuntimeException e) {
        results[i] = BatchResult.failed(e);
      }
    }
    // R6: every key of the batch in one transaction, one query per environment.
    Map<String, Run> existing =
        keysByEnv.isEmpty()
            ? Map.of()
            : tx.inTransaction(
                () -> {
                  Map<String, Run> found = new java.util.HashMap<>();
                  keysByEnv.forEach(
                      (envId, keys) ->
                          runs.findByKeys(envId, keys)
                              .forEach(r -> found.put(envId + "/" + r.idempotencyKey(), r)));
                  return found;
                });
    Map<String, RuntimeException> refusedTargets = new java.util.HashMap<>();
    List<Run> fresh = new ArrayList<>();
    List<Integer> freshAt = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Checked c = checked[i];
      if (results[i] != null) {
        continue;
      }
      try {
        Run earlier = c.key() == null ? null : existing.get(c.env().id() + "/" + c.key());
        if (earlier != null) {
          results[i] =
              BatchResult.of(new Submitted(sameOrConflict(earlier, c.env(), reqs.get(i)), false));
          continue;
        }
        fresh.add(prepare(caller, reqs.get(i), c, refusedTargets));
        freshAt.add(i);
      } catch (RuntimeException e) {
        results[i] = BatchResult.failed(e);
      }
    }
    List<java.util.concurrent.CompletableFuture<Boolean>> inserted =
        fresh.isEmpty() ? List.of() : lifecycle.submitAll(fresh);
    for (int j = 0; j < fresh.size(); j++) {
      int i = freshAt.get(j);
      try {
        if (inserted.get(j).join()) {
          results[i] = BatchResult.of(new Submitted(fresh.get(j), true));
        } else {
          // The key was taken meanwhile: by a concurrent retry, or earlier in this batch (R6).
          results[i] = BatchResult.of(retried(checked[i], reqs.get(i)));
        }
      } catch (java.util.concurrent.CompletionException e) {
        results[i] =
            BatchResult.failed(
                e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e));
      } catch (RuntimeException e) {
        results[i] = BatchResult.failed(e);
      }
    }
    return List.of(results);
  }

  /** What {@link #check} found: the environment, the inputs as copied, the key (null: none). */
  private record Checked(Environment env, Map<String, String> inputs, String key) {}

  /** R1, R10 and the caller's rights: everything about a submission that needs no run lookup. */
  private Checked check(Principal caller, SubmitRequest req) {
    Environment env = environments.require(req.environment());
    Access.requireMakerIn(caller, env.id(), env.name(), "submit runs in '" + env.name() + "'");
    Names.require("flow", req.flow());
    if (req.targetKind() == null || req.targetName() == null || req.targetName().isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.R1_TARGET_REQUIRED, "target: missing (expected: a machine or a group)");
    }
    if (req.targetKind() == RunTarget.Kind.HOSTED_MACHINE
        || req.targetKind() == RunTarget.Kind.HOSTED_GROUP) {
      throw BotfleetException.invalid(
          ErrorReason.R1_HOSTED_NOT_AVAILABLE,
          "hosted machine targets are not available in this version (expected: a machine or a group)");
    }
    Map<String, String> inputs = req.inputs() == null ? Map.of() : Map.copyOf(req.inputs());
    int size =
        inputs.entrySet().stream()
            .mapToInt(e -> e.getKey().length() + e.getValue().length() + 8)
            .sum();
    if (size > MAX_INPUTS_BYTES) {
      throw BotfleetException.invalid(
          ErrorReason.R1_INPUTS_TOO_LARGE,
          "inputs: " + size + " bytes (expected: at most " + MAX_INPUTS_BYTES + ")");
    }
    for (String key : inputs.keySet()) {
      if (!key.matches("[A-Za-z_][A-Za-z0-9_.-]{0,63}")) {
        throw BotfleetException.invalid(
            ErrorReason.R1_INPUT_NAME,
            "input name '" + key + "' (expected: a letter or _, then letters, digits, _ . -)");
      }
    }
    requireTimeout("queue time-out", req.queueTimeout());
    requireTimeout("run time-out", req.runTimeout());
    String key =
        req.idempotencyKey() == null || req.idempotencyKey().isBlank()
            ? null
            : req.idempotencyKey();
    return new Checked(env, inputs, key);
  }

  /**
   * The new run for a checked request whose key is not taken: its target resolved, and R4 refused
   * when no bot can ever come. {@code refusedTargets} (null: none) keeps R4's answer per target
   * within one batch, so a batch for a target without bots asks once.
   */
  private Run prepare(
      Principal caller,
      SubmitRequest req,
      Checked c,
      Map<String, RuntimeException> refusedTargets) {
    RunTarget target = resolveTarget(c.env(), req.targetKind(), req.targetName());
    if (target.kind() == RunTarget.Kind.GROUP && !machines.groupHasFlow(target.id(), req.flow())) {
      // A5, R4: a group run goes only to a machine with the flow; if none ever reported it, no
      // machine of the group can take it. (A run for one machine is refused by its agent, A5.)
      throw BotfleetException.precondition(
          ErrorReason.R4_FLOW_NOT_INSTALLED,
          "no machine of group '"
              + req.targetName()
              + "' reports desktop flow '"
              + req.flow()
              + "' installed: install it on a machine of the group (its agent's flows directory),"
              + " or target a group whose machines have it");
    }
    if (!machines.targetHasBot(target.kind() == RunTarget.Kind.GROUP, target.id())) {
      if (refusedTargets == null) {
        refuseIfNoBotCanEverCome(c.env(), target, req.targetName());
      } else {
        String k = target.kind() + "/" + target.id();
        if (!refusedTargets.containsKey(k)) {
          RuntimeException why = null;
          try {
            refuseIfNoBotCanEverCome(c.env(), target, req.targetName());
          } catch (BotfleetException e) {
            why = e;
          }
          refusedTargets.put(k, why);
        }
        RuntimeException why = refusedTargets.get(k);
        if (why != null) {
          throw why;
        }
      }
    }
    DesktopFlow defaults = desktopFlowDefaults(c.env().id(), req.flow());
    return newRun(caller, req, c.env(), target, c.inputs(), c.key(), defaults);
  }

  /** The run that took {@code c}'s key before this submission (R6), or IDEMPOTENCY_KEY_REUSED. */
  private Submitted retried(Checked c, SubmitRequest req) {
    return new Submitted(
        sameOrConflict(
            tx.inTransaction(() -> runs.findByKey(c.env().id(), c.key())).orElseThrow(),
            c.env(),
            req),
        false);
  }

  /**
   * Desktop-flow defaults change rarely and are read on every submission: kept for a few seconds. A
   * change applies to runs submitted after it, within that delay, on every replica.
   */
  private DesktopFlow desktopFlowDefaults(String environmentId, String flow) {
    String key = environmentId + "/" + flow;
    Instant now = clock.instant();
    CachedFlow cached = flowDefaults.get(key);
    if (cached != null && cached.until().isAfter(now)) {
      return cached.flow();
    }
    DesktopFlow f =
        tx.inTransaction(() -> runs.findDesktopFlow(environmentId, flow))
            .orElse(DesktopFlow.defaults(environmentId, flow));
    flowDefaults.put(key, new CachedFlow(f, now.plus(FLOW_DEFAULTS_TTL)));
    return f;
  }

  private record CachedFlow(DesktopFlow flow, Instant until) {}

  private Run newRun(
      Principal caller,
      SubmitRequest req,
      Environment env,
      RunTarget target,
      Map<String, String> inputs,
      String key,
      DesktopFlow defaults) {
    // A desktop-flow default stored before time-outs were bounded may be larger: use the bound.
    Duration queueTimeout = effective(req.queueTimeout(), defaults.queueTimeout());
    Duration runTimeout = effective(req.runTimeout(), defaults.runTimeout());
    // To the microsecond, as both databases store it (they round finer values): the run the
    // dispatcher's queue copy holds from the event then sorts where the stored row does.
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    return new Run(
        Ids.newId("run"),
        env.id(),
        req.flow(),
        target,
        req.priority() == null ? Priority.NORMAL : req.priority(),
        inputs,
        req.triggeringFlow() == null || req.triggeringFlow().isBlank()
            ? null
            : req.triggeringFlow(),
        queueTimeout,
        runTimeout,
        defaults.retryable(),
        key,
        RunState.QUEUED,
        null,
        null,
        0,
        now,
        now.plus(queueTimeout),
        null,
        null,
        null,
        null,
        Map.of(),
        "",
        null,
        null,
        false,
        caller.name(),
        null);
  }

  private static void requireTimeout(String what, Duration d) {
    if (d != null && (d.isNegative() || d.compareTo(MAX_TIMEOUT) > 0)) {
      throw BotfleetException.invalid(
          ErrorReason.R10_TIMEOUT,
          what
              + ": "
              + d
              + " (expected: 0 to "
              + MAX_TIMEOUT.toDays()
              + " days; 0 means the default)");
    }
  }

  /**
   * A time-out as used: the default for 0, and never past {@link #MAX_TIMEOUT}, so deadlines cannot
   * overflow.
   */
  private static Duration effective(Duration requested, Duration fallback) {
    Duration d = positiveOr(requested, fallback);
    return d.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : d;
  }

  private static Duration positiveOr(Duration d, Duration fallback) {
    return d == null || d.isZero() ? fallback : d;
  }

  /**
   * R6: a retry must be the same request. Every field is compared (issue 8 §2), the target by what
   * it resolves to; a time-out left to the default matches whatever default the run got.
   */
  private Run sameOrConflict(Run existing, Environment env, SubmitRequest req) {
    List<String> differs = new ArrayList<>();
    if (!existing.environmentId().equals(env.id())) {
      differs.add("environment");
    } else {
      if (!existing.flowName().equals(req.flow())) {
        differs.add("flow");
      }
      if (!sameTarget(existing.target(), env, req)) {
        differs.add("target");
      }
    }
    Priority priority = req.priority() == null ? Priority.NORMAL : req.priority();
    if (existing.priority() != priority) {
      differs.add("priority");
    }
    Map<String, String> inputs = req.inputs() == null ? Map.of() : req.inputs();
    if (!existing.inputs().equals(inputs)) {
      differs.add("inputs");
    }
    String triggering =
        req.triggeringFlow() == null || req.triggeringFlow().isBlank()
            ? null
            : req.triggeringFlow();
    if (!java.util.Objects.equals(existing.triggeringFlow(), triggering)) {
      differs.add("triggering flow");
    }
    if (!sameTimeout(req.queueTimeout(), existing.queueTimeout())) {
      differs.add("queue time-out");
    }
    if (!sameTimeout(req.runTimeout(), existing.runTimeout())) {
      differs.add("run time-out");
    }
    if (!differs.isEmpty()) {
      throw BotfleetException.alreadyExists(
          ErrorReason.R6_IDEMPOTENCY_KEY_REUSED,
          "idempotency key '"
              + existing.idempotencyKey()
              + "' was used for run "
              + existing.id()
              + " with another "
              + String.join(", ", differs)
              + " (expected: a new key for a new run)");
    }
    return existing;
  }

  private boolean sameTarget(RunTarget existing, Environment env, SubmitRequest req) {
    if (req.targetKind() != existing.kind()) {
      return false;
    }
    try {
      return resolveTarget(env, req.targetKind(), req.targetName()).id().equals(existing.id());
    } catch (BotfleetException e) {
      return false; // a target that does not resolve is not the run's target
    }
  }

  private static boolean sameTimeout(Duration requested, Duration applied) {
    return requested == null || requested.isZero() || requested.equals(applied);
  }

  private RunTarget resolveTarget(Environment env, RunTarget.Kind kind, String name) {
    return switch (kind) {
      case MACHINE -> new RunTarget(kind, machines.resolveIdIn(env.id(), name));
      case GROUP -> new RunTarget(kind, groups.resolveGroupIdIn(env, name));
      default -> throw new IllegalArgumentException(kind.name());
    };
  }

  /**
   * R4: fail at once when no bot can ever come: the target holds no bot, and no machine of it can
   * allocate one (auto-allocation off, at max sessions, or no free process capacity).
   */
  private void refuseIfNoBotCanEverCome(Environment env, RunTarget target, String targetName) {
    List<Machine> candidates =
        target.kind() == RunTarget.Kind.MACHINE
            ? List.of(machines.require(target.id()))
            : machines.machinesInGroup(target.id());
    if (candidates.isEmpty()) {
      throw BotfleetException.precondition(
          ErrorReason.R4_GROUP_EMPTY,
          "group '"
              + targetName
              + "' has no machines; add one with `botfleet group add "
              + targetName
              + " MACHINE`");
    }
    if (candidates.stream().anyMatch(m -> m.bots() > 0)) {
      return;
    }
    long free = capacity.freeIn(env.id(), Sku.PROCESS);
    boolean over = capacity.overCapacity(Sku.PROCESS);
    StringBuilder why = new StringBuilder();
    for (Machine m : candidates) {
      if (m.status() == MachineStatus.REMOVED) {
        // Issue 12 §3: another replica may still resolve the name to a machine removed since.
        why.append(m.name()).append(": removed; ");
      } else if (!m.autoAllocation()) {
        why.append(m.name()).append(": no bot and auto-allocation is off; ");
      } else if (m.bots() >= m.capacity().maxSessions()) {
        why.append(m.name())
            .append(": at its maximum of ")
            .append(m.capacity().maxSessions())
            .append(" sessions; ");
      } else if (free <= 0) {
        why.append(m.name())
            .append(": no bot and no free process capacity in '")
            .append(env.name())
            .append("'; ");
      } else if (over) {
        why.append(m.name())
            .append(": no bot, and process capacity is over (C8: more allocated than purchased,")
            .append(" so no new bot may be allocated until purchases cover it); ");
      } else {
        return;
      }
    }
    throw BotfleetException.precondition(
        ErrorReason.R4_NO_BOT_POSSIBLE,
        "no bot can ever run this on '"
            + targetName
            + "' ("
            + why.toString().replaceAll("; $", "")
            + "): allocate bots with `botfleet machine bots allocate`, turn auto-allocation on, or allocate process capacity");
  }

  // ------------------------------------------------------------------ reads, R8

  public record RunView(Run run, WaitReason waitReason, String machineName, String targetName) {}

  public RunView get(String runId) {
    Run run =
        tx.inTransaction(() -> runs.find(runId))
            .orElseThrow(
                () ->
                    BotfleetException.notFound(
                        ErrorReason.RUN_NOT_FOUND, "run '" + runId + "' does not exist"));
    return view(run);
  }

  /**
   * A run as {@code caller} may see it (issue 12 §2): a run of an environment the caller may not
   * read answers NOT_FOUND exactly like a run that does not exist, so neither its existence nor its
   * inputs and outputs are revealed to a caller probing ids.
   */
  public RunView get(Principal caller, String runId) {
    Run run = tx.inTransaction(() -> runs.find(runId)).orElse(null);
    if (run == null || !caller.canReadIn(run.environmentId())) {
      throw BotfleetException.notFound(
          ErrorReason.RUN_NOT_FOUND, "run '" + runId + "' does not exist");
    }
    return view(run);
  }

  /**
   * One page of an environment's runs, newest first (issue 8 §2); the API bounds the size. Only an
   * admin or maker of the environment may list them (issue 12 §2).
   */
  public RunPage<RunView> list(
      Principal caller, String environmentName, RunState state, RunCursor after, int pageSize) {
    Environment env = environments.require(environmentName);
    Access.requireReaderOf(caller, env.id(), env.name(), "read runs of '" + env.name() + "'");
    RunPage<Run> page = tx.inTransaction(() -> runs.list(env.id(), state, after, pageSize));
    return new RunPage<>(page.items().stream().map(this::view).toList(), page.next());
  }

  /**
   * A run as it was read, without its wait reason (which costs queries): batch answers (issue 9),
   * where GetRun tells why a run waits.
   */
  public RunView brief(Run run) {
    return new RunView(
        run,
        null,
        run.machineId() == null ? null : machines.nameOf(run.machineId()),
        targetName(run));
  }

  private String targetName(Run run) {
    return switch (run.target().kind()) {
      case MACHINE -> machines.nameOf(run.target().id());
      case GROUP -> groups.groupNameOf(run.target().id());
      default -> run.target().id();
    };
  }

  private RunView view(Run run) {
    String machineName = run.machineId() == null ? null : machines.nameOf(run.machineId());
    String targetName =
        switch (run.target().kind()) {
          case MACHINE -> machines.nameOf(run.target().id());
          case GROUP -> groups.groupNameOf(run.target().id());
          default -> run.target().id();
        };
    return new RunView(
        run, run.state() == RunState.QUEUED ? waitReason(run) : null, machineName, targetName);
  }

  /** R8: the code names what would unblock the run; the words say the numbers. */
  public WaitReason waitReason(Run run) {
    boolean group = run.target().kind() != RunTarget.Kind.MACHINE;
    List<Machine> ms =
        group
            ? machines.machinesInGroup(run.target().id())
            : List.of(machines.require(run.target().id()));
    long ahead = tx.inTransaction(() -> runs.aheadOf(run));
    String queue = ahead == 0 ? "first in line" : ahead + " run(s) ahead";
    if (ms.isEmpty()) {
      return new WaitReason(WaitReason.NO_MACHINE_ONLINE, "the group has no machines; " + queue);
    }
    List<Machine> online = ms.stream().filter(m -> m.status() == MachineStatus.ONLINE).toList();
    if (online.isEmpty()) {
      return new WaitReason(
          WaitReason.NO_MACHINE_ONLINE,
          "no machine of the target is online (" + names(ms) + "); " + queue);
    }
    List<Machine> usable = online.stream().filter(m -> !m.maintenance()).toList();
    if (usable.isEmpty()) {
      return new WaitReason(
          WaitReason.MACHINE_IN_MAINTENANCE,
          "every online machine of the target is in maintenance (" + names(online) + "); " + queue);
    }
    if (group) {
      // A5: only machines with the flow take the group's run.
      List<Machine> having =
          usable.stream()
              .filter(m -> m.capacity().installedFlows().contains(run.flowName()))
              .toList();
      if (having.isEmpty()) {
        return new WaitReason(
            WaitReason.FLOW_NOT_INSTALLED,
            "no online machine of the group reports desktop flow '"
                + run.flowName()
                + "' installed ("
                + names(usable)
                + "); "
                + queue);
      }
      usable = having;
    }
    // P5: a machine holding more bots than its sessions takes a run only below its sessions.
    if (usable.stream()
        .anyMatch(m -> m.freeBots() > 0 && m.busyBots() < m.capacity().maxSessions())) {
      return new WaitReason(
          WaitReason.DISPATCHING, "a bot is free; the run is being assigned; " + queue);
    }
    int bots = usable.stream().mapToInt(Machine::bots).sum();
    boolean canGrow = usable.stream().anyMatch(m -> m.bots() < m.capacity().maxSessions());
    boolean autoOn =
        usable.stream().anyMatch(m -> m.autoAllocation() && m.bots() < m.capacity().maxSessions());
    long free = capacity.freeIn(run.environmentId(), Sku.PROCESS);
    if (!canGrow) {
      return new WaitReason(
          WaitReason.MAX_SESSIONS_REACHED,
          "all " + bots + " bots are busy and every machine is at its maximum sessions; " + queue);
    }
    if (!autoOn) {
      return new WaitReason(
          WaitReason.AUTO_ALLOCATION_OFF,
          "all "
              + bots
              + " bots are busy and auto-allocation is off (SetAutoAllocation, or allocate bots); "
              + queue);
    }
    if (capacity.overCapacity(Sku.PROCESS)) {
      return new WaitReason(
          WaitReason.OVER_CAPACITY,
          "all "
              + bots
              + " bots are busy and process capacity is over (C8: more allocated than purchased),"
              + " so no new bot may be auto-allocated until purchases cover the allocations; "
              + queue);
    }
    if (free <= 0) {
      return new WaitReason(
          WaitReason.NO_PROCESS_CAPACITY,
          "all "
              + bots
              + " bots are busy and the environment has no free process capacity to auto-allocate another; "
              + queue);
    }
    return new WaitReason(WaitReason.ALL_BOTS_BUSY, "all " + bots + " bots are busy; " + queue);
  }

  private static String names(List<Machine> ms) {
    return String.join(", ", ms.stream().map(Machine::name).limit(5).toList())
        + (ms.size() > 5 ? ", …" : "");
  }

  // ------------------------------------------------------------------ R7 cancel

  public RunView cancel(Principal caller, String runId) {
    // A run the caller may not read is NOT_FOUND here too (issue 12 §2).
    Run run = get(caller, runId).run();
    Environment env = environments.requireById(run.environmentId());
    Access.requireMakerIn(caller, env.id(), env.name(), "cancel runs in '" + env.name() + "'");
    lifecycle.cancel(
        runId,
        caller.name(),
        r ->
            audit.append(
                clock.instant(),
                caller.name(),
                "run.cancel",
                "run=" + r.id(),
                r.state().name(),
                r.state() == RunState.QUEUED ? "CANCELLED" : "cancel requested"));
    return get(runId);
  }

  public List<Run> activeOn(String machineId) {
    return tx.inTransaction(() -> runs.activeOn(machineId));
  }

  // ------------------------------------------------------------------ desktop flows (R5, R10)

  public DesktopFlow setDesktopFlow(
      Principal caller,
      String environmentName,
      String name,
      boolean retryable,
      Duration queueTimeout,
      Duration runTimeout) {
    Environment env = environments.require(environmentName);
    Access.requireMakerIn(
        caller, env.id(), env.name(), "configure desktop flows in '" + env.name() + "'");
    Names.require("flow", name);
    requireTimeout("queue time-out", queueTimeout);
    requireTimeout("run time-out", runTimeout);
    DesktopFlow flow =
        new DesktopFlow(
            env.id(),
            name,
            retryable,
            positiveOr(queueTimeout, DesktopFlow.DEFAULT_QUEUE_TIMEOUT),
            positiveOr(runTimeout, DesktopFlow.DEFAULT_RUN_TIMEOUT));
    flowDefaults.remove(env.id() + "/" + name);
    tx.run(
        () -> {
          runs.saveDesktopFlow(flow);
          audit.append(
              clock.instant(),
              caller.name(),
              "desktop-flow.set",
              "environment=" + env.name() + " flow=" + name,
              null,
              "retryable="
                  + retryable
                  + " queue_timeout="
                  + flow.queueTimeout()
                  + " run_timeout="
                  + flow.runTimeout());
        });
    return flow;
  }

  public List<DesktopFlow> desktopFlows(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(() -> runs.desktopFlows(env.id()));
  }

  public Map<RunState, Long> countByState() {
    return tx.inTransaction(runs::countByState);
  }

  public Map<String, Long> queueDepthByTarget() {
    return tx.inTransaction(runs::queueDepthByTarget);
  }

  public String environmentOfMachine(Machine m) {
    return environments.requireById(m.environmentId()).name();
  }

  public Environment environmentOf(Run run) {
    return environments.requireById(run.environmentId());
  }

  public MachineGroup groupOf(String groupId) {
    return groups.requireGroupById(groupId);
  }
}
