package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Tokens;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.ConsumptionSource;
import dev.botfleet.orchestrator.capacity.ProcessUnitHolder;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Machines, their bots and groups: enrolment (A1), capacity (A2), bots (P2, P5, P6, P10),
 * maintenance (A7) and process utilization (P8).
 *
 * <p>Lock order everywhere: SKU rows (capacity) → machine row → bot rows → run rows.
 */
public final class MachineService {
  public static final Duration DEFAULT_JOIN_TOKEN_TTL = Duration.ofHours(1);

  private final Transactions tx;
  private final MachineRepository machines;
  private final EnvironmentService environments;
  private final CapacityService capacity;
  private final AuditLog audit;
  private final Clock clock;
  private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
  private final List<ProcessUnitHolder> otherHolders = new CopyOnWriteArrayList<>();
  private volatile RunControl runs;
  private final Map<String, String> machineIds = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, String> groupIds = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Instant> hasBotUntil = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, String> names = new java.util.concurrent.ConcurrentHashMap<>();

  public MachineService(
      Transactions tx,
      MachineRepository machines,
      EnvironmentService environments,
      CapacityService capacity,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.environments = requireNonNull(environments, "environments");
    this.capacity = requireNonNull(capacity, "capacity");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    capacity.addConsumptionSource(new BotConsumption());
  }

  public void setRunControl(RunControl runs) {
    this.runs = requireNonNull(runs, "runs");
  }

  public void addListener(MachineListener listener) {
    listeners.add(listener);
  }

  /** Process flows (and other holders) register so P8 shows every unit. */
  public void addProcessUnitHolder(ProcessUnitHolder holder) {
    otherHolders.add(holder);
  }

  private void changed(String machineId) {
    // After commit: a caller may have wrapped this call in its own transaction (idempotency).
    tx.afterCommit(
        () -> {
          for (MachineListener l : listeners) {
            l.machineChanged(machineId);
          }
        });
  }

  // ------------------------------------------------------------------ A1 enrolment

  public record CreatedJoinToken(String id, String token, Instant expiresAt) {}

  public CreatedJoinToken createJoinToken(
      Principal caller, String environmentName, String groupName, Duration ttl) {
    Environment env = environments.require(environmentName);
    Access.requireAdminOf(
        caller, env.id(), env.name(), "create join tokens for '" + env.name() + "'");
    Duration life = ttl == null || ttl.isZero() ? DEFAULT_JOIN_TOKEN_TTL : ttl;
    if (life.isNegative() || life.compareTo(Duration.ofDays(30)) > 0) {
      throw BotfleetException.invalid(
          ErrorReason.A1_TTL, "ttl: " + life + " (expected: between 1 second and 30 days)");
    }
    return tx.inTransaction(
        () -> {
          String groupId = null;
          if (groupName != null && !groupName.isBlank()) {
            groupId = requireGroup(env, groupName).id();
          }
          Instant now = clock.instant();
          String token = Tokens.newToken("bfj_");
          JoinToken jt =
              new JoinToken(Ids.newId("jtk"), env.id(), groupId, now.plus(life), null, false);
          machines.insertJoinToken(jt, Tokens.hash(token), caller.name(), now);
          audit.append(
              now,
              caller.name(),
              "machine.join-token",
              "environment=" + env.name(),
              null,
              jt.id() + " expires " + jt.expiresAt());
          return new CreatedJoinToken(jt.id(), token, jt.expiresAt());
        });
  }

  public void revokeJoinToken(Principal caller, String tokenId) {
    tx.run(
        () -> {
          JoinToken jt =
              machines
                  .findJoinToken(tokenId)
                  .orElseThrow(
                      () ->
                          BotfleetException.notFound(
                              ErrorReason.A1_TOKEN_NOT_FOUND,
                              "join token '" + tokenId + "' does not exist"));
          Environment env = environments.requireById(jt.environmentId());
          Access.requireAdminOf(
              caller, env.id(), env.name(), "revoke join tokens of '" + env.name() + "'");
          machines.revokeJoinToken(tokenId);
          audit.append(
              clock.instant(),
              caller.name(),
              "machine.join-token.revoke",
              "token=" + tokenId,
              null,
              "revoked");
        });
  }

  public record Enrolled(Machine machine, String credential, Environment environment) {}

  /** A1: spends a join token and registers the machine; the credential is shown once. */
  public Enrolled enroll(String joinToken, MachineCapacity capacityReport, String machineName) {
    capacityReport.validate();
    String name =
        machineName == null || machineName.isBlank() ? capacityReport.hostname() : machineName;
    Names.require("machine name", name);
    if (joinToken == null || joinToken.isBlank()) {
      throw BotfleetException.unauthenticated(
          ErrorReason.A1_TOKEN_REQUIRED,
          "join_token: missing (expected: a token from CreateJoinToken)");
    }
    Enrolled enrolled =
        tx.inTransaction(
            () -> {
              Instant now = clock.instant();
              JoinToken jt =
                  machines
                      .findJoinTokenForUpdate(Tokens.hash(joinToken))
                      .orElseThrow(
                          () ->
                              BotfleetException.unauthenticated(
                                  ErrorReason.A1_TOKEN_UNKNOWN, "unknown join token"));
              if (jt.revoked()) {
                throw BotfleetException.unauthenticated(
                    ErrorReason.A1_TOKEN_REVOKED, "join token " + jt.id() + " was revoked");
              }
              if (jt.usedAt() != null) {
                throw BotfleetException.unauthenticated(
                    ErrorReason.A1_TOKEN_USED,
                    "join token "
                        + jt.id()
                        + " was already used at "
                        + jt.usedAt()
                        + "; ask for a new one");
              }
              if (!now.isBefore(jt.expiresAt())) {
                throw BotfleetException.unauthenticated(
                    ErrorReason.A1_TOKEN_EXPIRED,
                    "join token " + jt.id() + " expired at " + jt.expiresAt());
              }
              Environment env = environments.requireById(jt.environmentId());
              String credential = Tokens.newToken("bfm_");
              Machine m =
                  new Machine(
                      Ids.newId("mach"),
                      env.id(),
                      name,
                      jt.groupId(),
                      capacityReport,
                      true,
                      false,
                      MachineStatus.OFFLINE,
                      now,
                      now,
                      0,
                      0);
              if (!machines.insertMachine(m, Tokens.hash(credential))) {
                throw BotfleetException.alreadyExists(
                    ErrorReason.MACHINE_EXISTS,
                    "a machine named '"
                        + name
                        + "' is already enrolled in '"
                        + env.name()
                        + "' (expected: a new machine_name)");
              }
              machines.markJoinTokenUsed(jt.id(), m.id(), now);
              audit.append(
                  now,
                  "agent:" + name,
                  "machine.enroll",
                  "environment=" + env.name() + " machine=" + name,
                  null,
                  m.id());
              return new Enrolled(m, credential, env);
            });
    return enrolled;
  }

  // ------------------------------------------------------------------ A2, A3 reports

  /**
   * A3 Hello: checks the credential, stores the reported capacity and marks the machine ONLINE, in
   * one transaction, because after an orchestrator restart thousands of agents say Hello at once.
   */
  public Machine hello(
      String machineId, String credential, MachineCapacity report, String replica) {
    report.validate();
    return tx.inTransaction(
        () -> {
          String id =
              machines
                  .findIdByCredentialHash(Tokens.hash(credential == null ? "" : credential))
                  .orElseThrow(
                      () ->
                          BotfleetException.unauthenticated(
                              ErrorReason.A1_CREDENTIAL_UNKNOWN,
                              "unknown machine credential; enrol again with a new join token"));
          if (!id.equals(machineId)) {
            throw BotfleetException.unauthenticated(
                ErrorReason.A1_CREDENTIAL_MISMATCH,
                "credential does not belong to machine " + machineId);
          }
          machines.updateCapacity(id, report);
          machines.markConnected(id, replica, clock.instant());
          return machines.find(id).orElseThrow();
        });
  }

  public void capacityChanged(String machineId, MachineCapacity report) {
    report.validate();
    tx.run(() -> machines.updateCapacity(machineId, report));
    changed(machineId);
  }

  /**
   * Heartbeats on live streams of {@code replica}, batched by the caller: one round trip for many
   * machines. A heartbeat on a live stream is proof of life, so it also brings a machine that was
   * marked OFFLINE (e.g. frozen past offline-after, then resumed) back to ONLINE (issue 7).
   */
  public void heartbeats(Map<String, Instant> lastSeen, String replica) {
    if (!lastSeen.isEmpty()) {
      tx.run(() -> machines.touch(lastSeen, requireNonNull(replica, "replica")));
    }
  }

  /** The last time a stream that just closed saw its machine; changes no status. */
  public void lastSeen(String machineId, Instant at) {
    tx.run(() -> machines.touch(Map.of(machineId, at), null));
  }

  /**
   * OFFLINE machines silent since {@code before} that still hold active runs (R5 must reach them).
   */
  public List<String> silentHoldingRuns(Instant before) {
    return tx.inTransaction(() -> machines.silentHoldingRuns(before));
  }

  /** A3: marks ONLINE machines unseen since {@code before} OFFLINE; returns those it marked. */
  public List<String> markStaleOffline(Instant before) {
    List<String> stale = tx.inTransaction(() -> machines.staleOnline(before));
    List<String> marked = new ArrayList<>();
    for (String id : stale) {
      if (tx.inTransaction(() -> machines.markOffline(id, before))) {
        marked.add(id);
      }
    }
    return marked;
  }

  // ------------------------------------------------------------------ queries

  public Machine require(String id) {
    return tx.inTransaction(() -> machines.find(id))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.MACHINE_NOT_FOUND, "machine '" + id + "' does not exist"));
  }

  /** By name or id; a name used in several environments must be given as an id. */
  public Machine resolve(String nameOrId) {
    if (nameOrId == null || nameOrId.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.MACHINE_REQUIRED, "machine: missing (expected: a machine name or id)");
    }
    List<Machine> found = tx.inTransaction(() -> machines.findByNameOrId(nameOrId));
    if (found.isEmpty()) {
      throw BotfleetException.notFound(
          ErrorReason.MACHINE_NOT_FOUND,
          "machine '" + nameOrId + "' does not exist (see ListMachines of its environment)");
    }
    if (found.size() > 1) {
      throw BotfleetException.invalid(
          ErrorReason.MACHINE_AMBIGUOUS,
          "machine name '"
              + nameOrId
              + "' is used in several environments; use its id ("
              + found.stream().map(Machine::id).toList()
              + ")");
    }
    return found.get(0);
  }

  /**
   * The id of a machine by name (or id) in an environment. Machines are never renamed or deleted,
   * so the answer is remembered; run submission stays off the database for it.
   */
  public String resolveIdIn(String environmentId, String nameOrId) {
    String key = environmentId + "/" + nameOrId;
    String id = machineIds.get(key);
    if (id == null) {
      id = resolveIn(environmentId, nameOrId).id();
      machineIds.put(key, id);
    }
    return id;
  }

  public String resolveGroupIdIn(Environment env, String name) {
    String key = env.id() + "/" + name;
    String id = groupIds.get(key);
    if (id == null) {
      id = requireGroup(env, name).id();
      groupIds.put(key, id);
    }
    return id;
  }

  /** Whether the machine (or any machine of the group) holds at least one bot: R4's fast path. */
  public boolean targetHasBot(boolean group, String targetId) {
    Instant now = clock.instant();
    Instant until = hasBotUntil.get(targetId);
    if (until != null && until.isAfter(now)) {
      return true;
    }
    boolean has =
        tx.inTransaction(
            () -> group ? machines.groupHasBot(targetId) : machines.machineHasBot(targetId));
    if (has) {
      // A yes is remembered briefly: it only decides between queueing and failing fast (R4), and
      // a run queued for a target whose bots were just removed still waits, says why, and times
      // out.
      hasBotUntil.put(targetId, now.plusSeconds(2));
    } else {
      hasBotUntil.remove(targetId);
    }
    return has;
  }

  /** A machine's name by id; names never change, so lists of runs need no query per row. */
  public String nameOf(String machineId) {
    return names.computeIfAbsent(machineId, id -> require(id).name());
  }

  /** A group's name by id (never renamed). */
  public String groupNameOf(String groupId) {
    return names.computeIfAbsent(groupId, id -> requireGroupById(id).name());
  }

  public Machine resolveIn(String environmentId, String nameOrId) {
    Machine m =
        tx.inTransaction(() -> machines.findByName(environmentId, nameOrId))
            .orElseThrow(
                () ->
                    BotfleetException.notFound(
                        ErrorReason.MACHINE_NOT_FOUND,
                        "machine '" + nameOrId + "' does not exist in this environment"));
    if (!m.environmentId().equals(environmentId)) {
      throw BotfleetException.notFound(
          ErrorReason.MACHINE_NOT_FOUND, "machine '" + nameOrId + "' is not in this environment");
    }
    return m;
  }

  public List<Machine> list(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(() -> machines.list(env.id()));
  }

  public List<Machine> listByIds(java.util.Collection<String> ids) {
    return tx.inTransaction(() -> machines.listByIds(ids));
  }

  public List<Machine> machinesInGroup(String groupId) {
    return tx.inTransaction(() -> machines.listInGroup(groupId));
  }

  public List<Bot> bots(String machineId) {
    return tx.inTransaction(() -> machines.bots(machineId));
  }

  public List<Bot> botsOfMachines(java.util.Collection<String> machineIds) {
    return tx.inTransaction(() -> machines.botsOfMachines(machineIds));
  }

  // ------------------------------------------------------------------ P5, P6, P10 bots

  /** P2/P5: allocates {@code count} process units to the machine as bots. */
  public Machine allocateBots(Principal caller, String machineRef, int count) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P5_COUNT, "count: " + count + " (expected: >= 1)");
    }
    Machine target = resolve(machineRef);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "allocate bots in '" + env.name() + "'");
    tx.run(
        () -> {
          for (int i = 0; i < count; i++) {
            addBot(target.id(), Bot.Source.MANUAL);
          }
          audit.append(
              clock.instant(),
              caller.name(),
              "machine.bots.allocate",
              "machine=" + target.name(),
              Integer.toString(target.bots()),
              Integer.toString(target.bots() + count));
        });
    changed(target.id());
    return require(target.id());
  }

  /**
   * P6: called by dispatch when a run needs a bot on this machine and none is free. Returns the new
   * bot, or null when auto-allocation is off, P5 is reached or there is no free capacity.
   */
  public Bot autoAllocate(String machineId) {
    Bot bot =
        tx.inTransaction(
            () -> {
              Machine m = machines.find(machineId).orElse(null);
              if (m == null
                  || !m.autoAllocation()
                  || m.maintenance()
                  || m.bots() >= m.capacity().maxSessions()) {
                return null;
              }
              if (capacity.freeIn(m.environmentId(), Sku.PROCESS) <= 0) {
                return null;
              }
              try {
                Bot b = addBot(machineId, Bot.Source.AUTO);
                audit.append(
                    clock.instant(),
                    "system",
                    "machine.bots.auto-allocate",
                    "machine=" + m.name(),
                    Integer.toString(m.bots()),
                    Integer.toString(m.bots() + 1));
                return b;
              } catch (BotfleetException e) {
                return null;
              }
            });
    if (bot != null) {
      changed(machineId);
    }
    return bot;
  }

  /**
   * Must run inside a transaction. Takes the capacity locks, then the machine lock (lock order).
   */
  private Bot addBot(String machineId, Bot.Source source) {
    Machine probe = machines.find(machineId).orElseThrow();
    Environment env = environments.requireById(probe.environmentId());
    capacity.requireFreeUnit(
        env.id(),
        Sku.PROCESS,
        ErrorReason.P5_NO_PROCESS_CAPACITY,
        "no free process capacity in '"
            + env.name()
            + "' for a bot on "
            + probe.name()
            + ": every PROCESS/UNATTENDED_RPA unit allocated there is in use; allocate more (SetAllocation, environment "
            + env.name()
            + ", sku PROCESS)");
    Machine m = machines.findForUpdate(machineId).orElseThrow();
    if (m.bots() >= m.capacity().maxSessions()) {
      throw BotfleetException.precondition(
          ErrorReason.P5_MAX_SESSIONS,
          "machine "
              + m.name()
              + " holds "
              + m.bots()
              + " bots and allows at most "
              + m.capacity().maxSessions()
              + " concurrent sessions (P5)");
    }
    Bot bot =
        new Bot(
            Ids.newId("bot"),
            m.id(),
            m.environmentId(),
            source,
            Sku.PROCESS,
            null,
            clock.instant());
    machines.insertBot(bot);
    return bot;
  }

  public record Deallocated(Machine machine, List<String> cancelledRunIds) {}

  /** P10: removes free bots first; busy bots only with force, which cancels their runs. */
  public Deallocated deallocateBots(Principal caller, String machineRef, int count, boolean force) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P10_COUNT, "count: " + count + " (expected: >= 1)");
    }
    Machine target = resolve(machineRef);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "de-allocate bots in '" + env.name() + "'");
    List<String[]> stopped = new ArrayList<>();
    List<String> cancelled =
        tx.inTransaction(
            () -> {
              Machine m = machines.findForUpdate(target.id()).orElseThrow();
              if (count > m.bots()) {
                throw BotfleetException.precondition(
                    ErrorReason.P10_NOT_ENOUGH_BOTS,
                    "machine "
                        + m.name()
                        + " holds "
                        + m.bots()
                        + " bots; cannot de-allocate "
                        + count);
              }
              List<Bot> bots = new ArrayList<>(machines.bots(m.id()));
              // Free bots first, newest first: the oldest bots keep their place.
              bots.sort(
                  Comparator.comparing(Bot::busy)
                      .thenComparing(Bot::allocatedAt, Comparator.reverseOrder()));
              List<String> cancelledRuns = new ArrayList<>();
              int removed = 0;
              for (Bot b : bots) {
                if (removed == count) {
                  break;
                }
                if (!b.busy() && machines.deleteFreeBot(b.id())) {
                  removed++;
                  continue;
                }
                // It was free when listed but took a run before it could be deleted: read its run.
                String runId =
                    b.currentRunId() != null
                        ? b.currentRunId()
                        : machines.bot(b.id()).map(Bot::currentRunId).orElse(null);
                if (!force) {
                  throw BotfleetException.precondition(
                      ErrorReason.P10_BOT_BUSY,
                      "bot "
                          + b.id()
                          + " on "
                          + m.name()
                          + " is running run "
                          + runId
                          + "; wait for it to end or de-allocate with force set, which cancels that run");
                }
                if (runId != null) {
                  runs.cancelForDeallocation(runId, "BOT_DEALLOCATED");
                  cancelledRuns.add(runId);
                  stopped.add(new String[] {m.id(), runId});
                }
                machines.deleteBot(b.id());
                removed++;
              }
              audit.append(
                  clock.instant(),
                  caller.name(),
                  "machine.bots.deallocate",
                  "machine=" + m.name() + (force ? " force" : ""),
                  Integer.toString(m.bots()),
                  Integer.toString(m.bots() - removed)
                      + (cancelledRuns.isEmpty() ? "" : " cancelled " + cancelledRuns));
              return cancelledRuns;
            });
    for (String[] s : stopped) {
      runs.stopOnAgent(s[0], s[1], "BOT_DEALLOCATED");
    }
    changed(target.id());
    return new Deallocated(require(target.id()), cancelled);
  }

  public Machine setAutoAllocation(Principal caller, String machineRef, boolean enabled) {
    return updateSettings(
        caller, machineRef, "auto-allocation", m -> new boolean[] {enabled, m.maintenance()});
  }

  /** A7: a machine in maintenance takes no new runs; running runs finish. */
  public Machine setMaintenance(Principal caller, String machineRef, boolean enabled) {
    return updateSettings(
        caller, machineRef, "maintenance", m -> new boolean[] {m.autoAllocation(), enabled});
  }

  private Machine updateSettings(
      Principal caller,
      String machineRef,
      String what,
      java.util.function.Function<Machine, boolean[]> change) {
    Machine target = resolve(machineRef);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "change machines in '" + env.name() + "'");
    tx.run(
        () -> {
          Machine m = machines.findForUpdate(target.id()).orElseThrow();
          boolean[] next = change.apply(m);
          machines.updateSettings(m.id(), next[0], next[1]);
          audit.append(
              clock.instant(),
              caller.name(),
              "machine." + what,
              "machine=" + m.name(),
              "auto_allocation=" + m.autoAllocation() + " maintenance=" + m.maintenance(),
              "auto_allocation=" + next[0] + " maintenance=" + next[1]);
        });
    changed(target.id());
    return require(target.id());
  }

  // ------------------------------------------------------------------ groups

  public MachineGroup createGroup(Principal caller, String name, String environmentName) {
    Names.require("group", name);
    Environment env = environments.require(environmentName);
    Access.requireAdminOf(caller, env.id(), env.name(), "create groups in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          MachineGroup g = new MachineGroup(Ids.newId("grp"), env.id(), name, clock.instant());
          if (!machines.insertGroup(g)) {
            throw BotfleetException.alreadyExists(
                ErrorReason.GROUP_EXISTS,
                "group '" + name + "' already exists in '" + env.name() + "'");
          }
          audit.append(
              clock.instant(),
              caller.name(),
              "group.create",
              "environment=" + env.name() + " group=" + name,
              null,
              g.id());
          return g;
        });
  }

  public MachineGroup addToGroup(Principal caller, String groupName, String machineRef) {
    Machine m = resolve(machineRef);
    Environment env = environments.requireById(m.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "change groups in '" + env.name() + "'");
    MachineGroup g =
        tx.inTransaction(
            () -> {
              MachineGroup group = requireGroup(env, groupName);
              machines.findForUpdate(m.id());
              machines.setGroup(m.id(), group.id());
              audit.append(
                  clock.instant(),
                  caller.name(),
                  "group.add",
                  "group=" + group.name(),
                  m.groupId(),
                  m.name());
              return group;
            });
    changed(m.id());
    return g;
  }

  public MachineGroup requireGroup(Environment env, String name) {
    return tx.inTransaction(() -> machines.findGroup(env.id(), name))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.GROUP_NOT_FOUND,
                    "group '" + name + "' does not exist in '" + env.name() + "'"));
  }

  public MachineGroup requireGroupById(String id) {
    return tx.inTransaction(() -> machines.findGroupById(id)).orElseThrow();
  }

  public List<MachineGroup> groups(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(() -> machines.groups(env.id()));
  }

  // ------------------------------------------------------------------ P8

  public record ProcessUtilization(
      Environment environment,
      long pool,
      long toMachines,
      long toFlows,
      long free,
      List<ProcessUnitHolder.Held> units) {}

  public ProcessUtilization processUtilization(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(
        () -> {
          List<ProcessUnitHolder.Held> held = new ArrayList<>();
          Map<String, Machine> byId = new HashMap<>();
          machines.list(env.id()).forEach(m -> byId.put(m.id(), m));
          Map<String, Map<Bot.Source, Long>> perMachine = new HashMap<>();
          for (Bot b : machines.botsInEnvironment(env.id())) {
            if (b.sku() == Sku.PROCESS) {
              perMachine
                  .computeIfAbsent(b.machineId(), k -> new HashMap<>())
                  .merge(b.source(), 1L, Long::sum);
            }
          }
          perMachine.forEach(
              (mid, bySource) ->
                  bySource.forEach(
                      (src, n) ->
                          held.add(
                              new ProcessUnitHolder.Held(
                                  "machine", byId.get(mid).name(), n, src.name()))));
          long toMachines = held.stream().mapToLong(ProcessUnitHolder.Held::units).sum();
          long toFlows = 0;
          for (ProcessUnitHolder h : otherHolders) {
            for (ProcessUnitHolder.Held x : h.heldIn(env.id())) {
              held.add(x);
              toFlows += x.kind().equals("flow") ? x.units() : 0;
            }
          }
          held.sort(
              Comparator.comparing(ProcessUnitHolder.Held::kind)
                  .thenComparing(ProcessUnitHolder.Held::name));
          long free = capacity.freeIn(env.id(), Sku.PROCESS);
          long pool = free + toMachines + toFlows;
          return new ProcessUtilization(env, pool, toMachines, toFlows, free, held);
        });
  }

  /** P1/P5: every PROCESS-sku bot consumes one unit of the environment's process pool. */
  private final class BotConsumption implements ConsumptionSource {
    @Override
    public Map<Sku, Long> consumedIn(String environmentId) {
      return Map.of(Sku.PROCESS, machines.processBots(environmentId));
    }

    @Override
    public Map<String, Map<Sku, Long>> consumedByEnvironment() {
      Map<String, Map<Sku, Long>> result = new HashMap<>();
      machines
          .processBotsByEnvironment()
          .forEach((env, n) -> result.put(env, Map.of(Sku.PROCESS, n)));
      return result;
    }

    @Override
    public String describe(String environmentId, Sku sku) {
      if (!sku.inProcessPool()) {
        return "";
      }
      Map<String, Long> byMachine =
          machines.botsInEnvironment(environmentId).stream()
              .filter(b -> b.sku() == Sku.PROCESS)
              .collect(Collectors.groupingBy(Bot::machineId, Collectors.counting()));
      if (byMachine.isEmpty()) {
        return "";
      }
      List<String> parts = new ArrayList<>();
      byMachine.forEach(
          (mid, n) -> parts.add(machines.find(mid).map(Machine::name).orElse(mid) + "=" + n));
      return byMachine.values().stream().mapToLong(Long::longValue).sum()
          + " bots on machines "
          + parts;
    }
  }
}
