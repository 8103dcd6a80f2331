package dev.botfleet.orchestrator.runs;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public interface RunRepository {
  /** False when the idempotency key is taken (R6). */
  boolean insert(Run run);

  /** Inserts many runs in one round trip; per run, false when its idempotency key was taken. */
  List<Boolean> insertAll(List<Run> runs);

  Optional<Run> find(String id);

  Optional<Run> findForUpdate(String id);

  /**
   * The run submitted with this idempotency key in this environment (R6). Keys are scoped to the
   * environment (issue 12 §2): the same key in another environment is another key.
   */
  Optional<Run> findByKey(String environmentId, String idempotencyKey);

  /** The runs submitted with any of these keys in this environment (R6), in one round trip. */
  List<Run> findByKeys(String environmentId, Collection<String> idempotencyKeys);

  /**
   * Retention (issue 9): deletes at most {@code limit} runs that ended (a terminal state) before
   * {@code endedBefore}, oldest first; returns how many it deleted. Nothing else refers to a run
   * row (idempotency keys and late results are columns of it; audit rows name it in text and stay),
   * so a deleted run leaves nothing behind. Safe with several replicas purging at once.
   */
  int purgeEnded(Instant endedBefore, int limit);

  /**
   * Runs of an environment (and state, unless null) newest first by {@code (submitted_at DESC, seq
   * DESC)}, starting strictly after {@code after} (null: from the newest), at most {@code limit};
   * keyset paging, never an offset (issue 8 §2).
   */
  RunPage<Run> list(String environmentId, RunState state, RunCursor after, int limit);

  /**
   * QUEUED runs of the given targets (machine or group ids), at most the given number per target,
   * each target's in R3 order: priority, then submission.
   */
  List<Run> queuedFor(Map<String, Integer> limitPerTarget);

  /** How many QUEUED runs of the same target are ahead of this one (R3 order). */
  long aheadOf(Run run);

  /** Queue depth per target id, for metrics. */
  Map<String, Long> queueDepthByTarget();

  Map<RunState, Long> countByState();

  /**
   * Claims: each run QUEUED → ASSIGNED on its bot, conditionally, so a run is assigned at most once
   * and a bot carries at most one run (R2). Returns the claims that succeeded.
   */
  List<Claim> claim(List<Claim> claims, Instant now, Instant leaseUntil);

  /**
   * Applies agent reports conditionally on run id, attempt and the reporting machine (the run must
   * be assigned to it); returns those that changed a run.
   */
  List<RunReport> applyReports(List<RunReport> reports, Instant now);

  /**
   * Keeps a finished report that arrived after the orchestrator ended the run without it
   * (AGENT_LOST, run-time-out backstop) as the run's {@link LateResult}; once, and only from the
   * machine that held the run in that attempt. False when it does not qualify.
   */
  boolean recordLateResult(RunReport report, Instant now);

  /**
   * ASSIGNED/RUNNING → QUEUED (lease expired, agent refused, agent lost with a retryable flow),
   * only while the run is on {@code machineId} in {@code attempt}.
   */
  boolean requeue(String runId, int attempt, String machineId, String message);

  /** Ends an active or queued run with a terminal state and frees its bot. */
  boolean end(
      String runId, int attempt, RunState state, String failureReason, String message, Instant at);

  void requestCancel(String runId);

  /** Active runs on a machine. */
  List<Run> activeOn(String machineId);

  List<Run> activeOnMachines(Collection<String> machineIds);

  List<Run> expiredLeases(Instant now);

  /**
   * R5: an ASSIGNED run whose lease expired stays on its machine in its attempt without a lease,
   * until its agent says what became of it or is lost. False when it is no longer so assigned.
   */
  boolean holdUnconfirmed(String runId, int attempt);

  List<Run> expiredQueue(Instant now);

  List<Run> overdueRunning(Instant now);

  List<Run> cancelRequested(Collection<String> machineIds);

  void saveDesktopFlow(DesktopFlow flow);

  Optional<DesktopFlow> findDesktopFlow(String environmentId, String name);

  List<DesktopFlow> desktopFlows(String environmentId);
}
