package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.runs.Claim;
import dev.botfleet.orchestrator.runs.DesktopFlow;
import dev.botfleet.orchestrator.runs.LateResult;
import dev.botfleet.orchestrator.runs.Priority;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunCursor;
import dev.botfleet.orchestrator.runs.RunPage;
import dev.botfleet.orchestrator.runs.RunReport;
import dev.botfleet.orchestrator.runs.RunRepository;
import dev.botfleet.orchestrator.runs.RunState;
import dev.botfleet.orchestrator.runs.RunTarget;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

public final class JdbcRunRepository implements RunRepository {
  /** Run time-out is enforced by the agent; the orchestrator's backstop fires this much later. */
  static final Duration RUN_DEADLINE_GRACE = Duration.ofMinutes(2);

  private static final String QUEUE_ORDER = " ORDER BY q.priority DESC, q.submitted_at, q.seq";

  /**
   * Issue 9, "the queue is not the history": a QUEUED run has one row in {@code queued_run}, added
   * in the transaction that queues it, removed in the one that claims or ends it (V11). Taken from
   * the run row, so the queue order is the run's own (R3: priority, submitted_at, seq).
   */
  private static final String ENQUEUE =
      "INSERT INTO queued_run (run_id, target_id, priority, submitted_at, seq, queue_deadline)"
          + " SELECT id, target_id, priority, submitted_at, seq, queue_deadline FROM run WHERE id = ? AND state = 'QUEUED'";

  private static final String DEQUEUE = "DELETE FROM queued_run WHERE run_id = ?";

  private final Jdbc jdbc;

  public JdbcRunRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  private static final String INSERT =
      "INSERT INTO run (id, environment_id, flow_name, target_kind, target_id, priority, inputs, triggering_flow, queue_timeout_s,"
          + " run_timeout_s, retryable, idempotency_key, state, attempt, submitted_at, queue_deadline, cancel_requested, submitted_by)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'QUEUED', 0, ?, ?, FALSE, ?) ON CONFLICT DO NOTHING";

  @Override
  public boolean insert(Run r) {
    if (jdbc.update(INSERT, insertArgs(r)) != 1) {
      return false;
    }
    jdbc.update(ENQUEUE, r.id());
    return true;
  }

  /** Runs without an idempotency key cannot conflict (fresh ids): no ON CONFLICT work for them. */
  private static final String INSERT_PLAIN = INSERT.replace(" ON CONFLICT DO NOTHING", "");

  @Override
  public List<Boolean> insertAll(List<Run> runs) {
    List<Object[]> keyed = new ArrayList<>();
    List<Object[]> plain = new ArrayList<>();
    for (Run r : runs) {
      (r.idempotencyKey() == null ? plain : keyed).add(insertArgs(r));
    }
    int[] plainCounts = plain.isEmpty() ? new int[0] : jdbc.batch(INSERT_PLAIN, plain);
    int[] keyedCounts = keyed.isEmpty() ? new int[0] : jdbc.batch(INSERT, keyed);
    List<Boolean> result = new ArrayList<>(runs.size());
    List<Object[]> enqueue = new ArrayList<>(runs.size());
    int p = 0;
    int k = 0;
    for (Run r : runs) {
      boolean inserted = updated(r.idempotencyKey() == null ? plainCounts[p++] : keyedCounts[k++]);
      result.add(inserted);
      if (inserted) {
        enqueue.add(new Object[] {r.id()});
      }
    }
    if (!enqueue.isEmpty()) {
      jdbc.batch(ENQUEUE, enqueue);
    }
    return result;
  }

  private static Object[] insertArgs(Run r) {
    return new Object[] {
      r.id(),
      r.environmentId(),
      r.flowName(),
      r.target().kind(),
      r.target().id(),
      r.priority().weight(),
      JsonMaps.write(r.inputs()),
      r.triggeringFlow(),
      r.queueTimeout().toSeconds(),
      r.runTimeout().toSeconds(),
      r.retryable(),
      r.idempotencyKey(),
      r.submittedAt(),
      r.queueDeadline(),
      r.submittedBy()
    };
  }

  @Override
  public Optional<Run> find(String id) {
    return jdbc.queryOne("SELECT * FROM run WHERE id = ?", JdbcRunRepository::run, id);
  }

  @Override
  public Optional<Run> findForUpdate(String id) {
    return jdbc.queryOne("SELECT * FROM run WHERE id = ? FOR UPDATE", JdbcRunRepository::run, id);
  }

  @Override
  public Optional<Run> findByKey(String environmentId, String key) {
    return jdbc.queryOne(
        "SELECT * FROM run WHERE environment_id = ? AND idempotency_key = ?",
        JdbcRunRepository::run,
        environmentId,
        key);
  }

  @Override
  public List<Run> findByKeys(String environmentId, Collection<String> keys) {
    if (keys.isEmpty()) {
      return List.of();
    }
    // The run_idempotency_unique index (environment_id, idempotency_key) answers the IN list.
    List<Object> args = new ArrayList<>(keys.size() + 1);
    args.add(environmentId);
    args.addAll(keys);
    return jdbc.query(
        "SELECT * FROM run WHERE environment_id = ? AND idempotency_key IN ("
            + String.join(", ", java.util.Collections.nCopies(keys.size(), "?"))
            + ")",
        JdbcRunRepository::run,
        args.toArray());
  }

  private static final List<RunState> TERMINAL =
      List.of(RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED, RunState.TIMED_OUT);

  @Override
  public int purgeEnded(Instant endedBefore, int limit) {
    // Retention (issue 9), without an index of its own (every index costs each run transition):
    // per environment and final state, the run_environment_state index gives the runs submitted
    // before the cut-off, oldest first; a run ended before it was submitted before it too. The ids
    // are selected first and deleted by primary key: a DELETE … WHERE id IN (SELECT … LIMIT n) may
    // be re-evaluated by either database and delete more or fewer than n (measured here:
    // PostgreSQL deleted 13 rows for a limit of 10, H2 fewer than asked). One call is one short
    // transaction whatever the
    // backlog; on PostgreSQL rows another replica's purge holds are skipped, not waited for.
    String select =
        "SELECT id FROM run"
            + " WHERE environment_id = ? AND state = ? AND submitted_at < ? AND ended_at < ?"
            + " ORDER BY submitted_at LIMIT ?"
            + jdbc.dialect().skipLocked();
    List<String> environments =
        jdbc.query("SELECT id FROM environment ORDER BY id", rs -> rs.getString(1));
    int purged = 0;
    for (String environmentId : environments) {
      for (RunState state : TERMINAL) {
        if (purged >= limit) {
          return purged;
        }
        List<String> ids =
            jdbc.query(
                select,
                rs -> rs.getString(1),
                environmentId,
                state,
                endedBefore, // submitted before the cut-off: the index range
                endedBefore, // and ended before it: retention proper
                limit - purged); // what is left of this transaction's rows
        if (ids.isEmpty()) {
          continue;
        }
        List<Object> args = new ArrayList<>(ids);
        args.add(state); // a final state never changes: a guard, not a filter
        purged +=
            jdbc.update(
                "DELETE FROM run WHERE id IN ("
                    + String.join(", ", java.util.Collections.nCopies(ids.size(), "?"))
                    + ") AND state = ?",
                args.toArray());
      }
    }
    return purged;
  }

  @Override
  public RunPage<Run> list(String environmentId, RunState state, RunCursor after, int limit) {
    // Keyset paging (issue 8 §2): strictly after the cursor in (submitted_at DESC, seq DESC), one
    // more row than asked to tell whether another page follows. Written as an OR rather than a row
    // comparison, which H2 and PostgreSQL both plan as a range on run_environment.
    StringBuilder sql = new StringBuilder("SELECT * FROM run WHERE environment_id = ?");
    List<Object> args = new ArrayList<>(List.of(environmentId));
    if (state != null) {
      sql.append(" AND state = ?");
      args.add(state);
    }
    if (after != null) {
      sql.append(" AND (submitted_at < ? OR (submitted_at = ? AND seq < ?))");
      args.add(after.submittedAt());
      args.add(after.submittedAt());
      args.add(after.seq());
    }
    sql.append(" ORDER BY submitted_at DESC, seq DESC LIMIT ?");
    args.add(limit + 1);
    List<Map.Entry<Run, Long>> rows =
        jdbc.query(sql.toString(), rs -> Map.entry(run(rs), rs.getLong("seq")), args.toArray());
    List<Run> page = new ArrayList<>(Math.min(rows.size(), limit));
    for (int i = 0; i < rows.size() && i < limit; i++) {
      page.add(rows.get(i).getKey());
    }
    if (rows.size() <= limit) {
      return new RunPage<>(page, null);
    }
    Map.Entry<Run, Long> last = rows.get(limit - 1);
    return new RunPage<>(page, new RunCursor(last.getKey().submittedAt(), last.getValue()));
  }

  /**
   * One ordered index range scan of {@code queued_run} per target, each limited to what the target
   * can take now, then the runs by primary key: a pass costs what it assigns, however long the
   * queues and the history are. R3 holds per target (each sub-select is in queue order); across
   * targets the merge order does not matter.
   *
   * <p>Issue 9, measured: both statements have one of two fixed shapes (8 or 64 sub-selects, padded
   * with an id that cannot exist), so their text repeats and the database parses and plans them
   * once per connection instead of once per pass (planning a 51-way union was a third of the
   * dispatcher's time on H2). They are not one join: PostgreSQL planned that join on a near-empty
   * table as a hash join over a sequential scan of run, or read a target's whole queue before its
   * LIMIT; each sub-select here reads one table through the one index that fits it.
   */
  @Override
  public List<Run> queuedFor(Map<String, Integer> limitPerTarget) {
    List<Map.Entry<String, Integer>> targets = new ArrayList<>(limitPerTarget.entrySet());
    List<String> ids = new ArrayList<>();
    int branches = shape(targets.size());
    String sql = branches == QUEUE_BRANCHES ? QUEUED_IDS_64 : QUEUED_IDS_8;
    for (int from = 0; from < targets.size(); from += branches) {
      Object[] args = new Object[branches * 2];
      for (int i = 0; i < branches; i++) {
        int t = from + i;
        args[2 * i] = t < targets.size() ? targets.get(t).getKey() : NO_ID;
        args[2 * i + 1] = t < targets.size() ? Math.max(1, targets.get(t).getValue()) : 1;
      }
      ids.addAll(jdbc.query(sql, rs -> rs.getString(1), args));
    }
    List<Run> result = queuedById(ids);
    result.sort(
        java.util.Comparator.comparing((Run r) -> -r.priority().weight())
            .thenComparing(Run::submittedAt));
    return result;
  }

  /** The runs of these ids that are QUEUED, by primary key in fixed-shape statements. */
  private List<Run> queuedById(List<String> ids) {
    List<Run> result = new ArrayList<>(ids.size());
    int byId = shape(ids.size());
    String runsSql = byId == QUEUE_BRANCHES ? RUNS_BY_ID_64 : RUNS_BY_ID_8;
    for (int from = 0; from < ids.size(); from += byId) {
      Object[] args = new Object[byId];
      for (int i = 0; i < byId; i++) {
        args[i] = from + i < ids.size() ? ids.get(from + i) : NO_ID;
      }
      for (Run r : jdbc.query(runsSql, JdbcRunRepository::run, args)) {
        if (r.state() == RunState.QUEUED) {
          result.add(r);
        }
      }
    }
    return result;
  }

  static final int SMALL_QUEUE_BRANCHES = 8;
  static final int QUEUE_BRANCHES = 64;

  private static int shape(int n) {
    return n <= SMALL_QUEUE_BRANCHES ? SMALL_QUEUE_BRANCHES : QUEUE_BRANCHES;
  }

  /** Pads a fixed-shape statement; no run or target id is empty. */
  private static final String NO_ID = "";

  private static final String QUEUED_IDS_8 =
      union(
          SMALL_QUEUE_BRANCHES,
          "SELECT q.run_id FROM queued_run q WHERE q.target_id = ?" + QUEUE_ORDER + " LIMIT ?");
  private static final String QUEUED_IDS_64 =
      union(
          QUEUE_BRANCHES,
          "SELECT q.run_id FROM queued_run q WHERE q.target_id = ?" + QUEUE_ORDER + " LIMIT ?");
  private static final String RUNS_BY_ID_8 =
      union(SMALL_QUEUE_BRANCHES, "SELECT * FROM run WHERE id = ?");
  private static final String RUNS_BY_ID_64 =
      union(QUEUE_BRANCHES, "SELECT * FROM run WHERE id = ?");

  private static String union(int branches, String select) {
    StringBuilder sql = new StringBuilder();
    for (int i = 0; i < branches; i++) {
      if (i > 0) {
        sql.append(" UNION ALL ");
      }
      sql.append("(").append(select).append(")");
    }
    return sql.toString();
  }

  @Override
  public long aheadOf(Run run) {
    return jdbc.queryLong(
        "SELECT COUNT(*) FROM queued_run WHERE target_id = ? AND run_id <> ?"
            + " AND (priority > ? OR (priority = ? AND (submitted_at < ? OR (submitted_at = ? AND seq < (SELECT seq FROM run WHERE id = ?)))))",
        run.target().id(),
        run.id(),
        run.priority().weight(),
        run.priority().weight(),
        run.submittedAt(),
        run.submittedAt(),
        run.id());
  }

  @Override
  public Map<String, Long> queueDepthByTarget() {
    Map<String, Long> result = new HashMap<>();
    jdbc.query(
        "SELECT target_id, COUNT(*) AS n FROM queued_run GROUP BY target_id",
        rs -> result.put(rs.getString("target_id"), rs.getLong("n")));
    return result;
  }

  @Override
  public Map<RunState, Long> countByState() {
    Map<RunState, Long> result = new EnumMap<>(RunState.class);
    jdbc.query(
        "SELECT state, COUNT(*) AS n FROM run GROUP BY state",
        rs -> result.put(RunState.valueOf(rs.getString("state")), rs.getLong("n")));
    return result;
  }

  @Override
  public List<Claim> claim(List<Claim> claims, Instant now, Instant leaseUntil) {
    List<Object[]> runRows = new ArrayList<>(claims.size());
    for (Claim c : claims) {
      runRows.add(
          new Object[] {
            c.machineId(),
            c.botId(),
            c.attempt(),
            now,
            leaseUntil,
            leaseUntil.plus(c.run().runTimeout()).plus(RUN_DEADLINE_GRACE),
            c.run().id(),
            c.attempt() - 1
          });
    }
    int[] runCounts =
        jdbc.batch(
            "UPDATE run SET state = 'ASSIGNED', machine_id = ?, bot_id = ?, attempt = ?, assigned_at = ?, lease_expires_at = ?,"
                + " run_deadline = ? WHERE id = ? AND attempt = ? AND state = 'QUEUED' AND cancel_requested = FALSE",
            runRows);
    List<Claim> runWon = new ArrayList<>();
    for (int i = 0; i < claims.size(); i++) {
      if (updated(runCounts[i])) {
        runWon.add(claims.get(i));
      }
    }
    if (runWon.isEmpty()) {
      return runWon;
    }
    // The run row is locked first, then its queue row, as in end() and requeue(): one lock order.
    List<Object[]> dequeue = new ArrayList<>(runWon.size());
    runWon.forEach(c -> dequeue.add(new Object[] {c.run().id()}));
    jdbc.batch(DEQUEUE, dequeue);
    List<Object[]> botRows = new ArrayList<>(runWon.size());
    runWon.forEach(c -> botRows.add(new Object[] {c.run().id(), c.botId()}));
    int[] botCounts =
        jdbc.batch(
            "UPDATE bot SET current_run_id = ? WHERE id = ? AND current_run_id IS NULL", botRows);
    List<Claim> won = new ArrayList<>(runWon.size());
    List<Object[]> revert = new ArrayList<>();
    for (int i = 0; i < runWon.size(); i++) {
      Claim c = runWon.get(i);
      if (updated(botCounts[i])) {
        won.add(c);
      } else {
        revert.add(new Object[] {c.attempt() - 1, c.run().id(), c.attempt()});
      }
    }
    if (!revert.isEmpty()) {
      jdbc.batch(
          "UPDATE run SET state = 'QUEUED', machine_id = NULL, bot_id = NULL, attempt = ?, assigned_at = NULL, lease_expires_at = NULL,"
              + " run_deadline = NULL WHERE id = ? AND attempt = ?",
          revert);
      List<Object[]> enqueue = new ArrayList<>(revert.size());
      revert.forEach(row -> enqueue.add(new Object[] {row[1]}));
      jdbc.batch(ENQUEUE, enqueue);
    }
    return won;
  }

  /** JDBC drivers may report SUCCESS_NO_INFO (-2) for batched rows; H2 and pgjdbc report counts. */
  private static boolean updated(int count) {
    return count > 0 || count == java.sql.Statement.SUCCESS_NO_INFO;
  }

  @Override
  public List<RunReport> applyReports(List<RunReport> reports, Instant now) {
    List<RunReport> started = new ArrayList<>();
    List<RunReport> finished = new ArrayList<>();
    java.util.Set<String> finishing = new java.util.HashSet<>();
    for (RunReport r : reports) {
      if (r.finished()) {
        finished.add(r);
        finishing.add(r.runId() + "#" + r.attempt());
      }
    }
    for (RunReport r : reports) {
      // A start reported in the same batch as its end adds nothing the end does not write
      // (started_at comes with it): skip the extra row update. Short runs under load.
      if (!r.finished() && !finishing.contains(r.runId() + "#" + r.attempt())) {
        started.add(r);
      }
    }
    List<RunReport> applied = new ArrayList<>();
    if (!started.isEmpty()) {
      List<Object[]> rows = new ArrayList<>();
      started.forEach(
          r ->
              rows.add(
                  new Object[] {
                    r.startedAt() == null ? now : r.startedAt(),
                    r.runId(),
                    r.attempt(),
                    r.machineId()
                  }));
      // Fenced by machine and attempt: only the machine holding the run in its current attempt
      // may move it (issue 7: a report from another machine never changes a run).
      int[] counts =
          jdbc.batch(
              "UPDATE run SET state = 'RUNNING', started_at = ?, lease_expires_at = NULL"
                  + " WHERE id = ? AND attempt = ? AND machine_id = ? AND state = 'ASSIGNED'",
              rows);
      for (int i = 0; i < counts.length; i++) {
        if (updated(counts[i])) {
          applied.add(started.get(i));
        }
      }
    }
    if (!finished.isEmpty()) {
      List<Object[]> rows = new ArrayList<>();
      for (RunReport r : finished) {
        rows.add(
            new Object[] {
              r.outcome(),
              r.startedAt(),
              r.endedAt() == null ? now : r.endedAt(),
              r.exitCode(),
              JsonMaps.write(r.outputs()),
              r.logTail() == null ? "" : clip(r.logTail(), 200_000),
              r.failureReason(),
              r.message() == null ? null : clip(r.message(), 2000),
              r.runId(),
              r.attempt(),
              r.machineId()
            });
      }
      int[] counts =
          jdbc.batch(
              "UPDATE run SET state = ?, started_at = COALESCE(started_at, ?), ended_at = ?, exit_code = ?, outputs = ?, log_tail = ?,"
                  + " failure_reason = ?, message = ?, lease_expires_at = NULL, run_deadline = NULL"
                  + " WHERE id = ? AND attempt = ? AND machine_id = ? AND state IN ('ASSIGNED', 'RUNNING')",
              rows);
      List<String> ended = new ArrayList<>();
      for (int i = 0; i < counts.length; i++) {
        if (updated(counts[i])) {
          applied.add(finished.get(i));
          ended.add(finished.get(i).runId());
        }
      }
      freeBots(ended);
    }
    return applied;
  }

  @Override
  public boolean requeue(String runId, int attempt, String machineId, String message) {
    // The run forgets its bot below, so learn which bot to free first.
    String botId =
        jdbc.queryOne(
                "SELECT bot_id FROM run WHERE id = ? AND attempt = ? AND machine_id = ? AND state IN ('ASSIGNED', 'RUNNING')",
                rs -> rs.getString(1),
                runId,
                attempt,
                machineId)
            .orElse(null);
    int n =
        jdbc.update(
            "UPDATE run SET state = 'QUEUED', machine_id = NULL, bot_id = NULL, assigned_at = NULL, lease_expires_at = NULL,"
                + " run_deadline = NULL, started_at = NULL, message = ?"
                + " WHERE id = ? AND attempt = ? AND machine_id = ? AND state IN ('ASSIGNED', 'RUNNING')",
            clip(message, 2000),
            runId,
            attempt,
            machineId);
    if (n == 1) {
      jdbc.update(ENQUEUE, runId);
    }
    if (n == 1 && botId != null) {
      jdbc.update(
          "UPDATE bot SET current_run_id = NULL WHERE id = ? AND current_run_id = ?", botId, runId);
    }
    return n == 1;
  }

  @Override
  public boolean recordLateResult(RunReport r, Instant now) {
    // Only the machine that held the run in this attempt, only once, and only where the
    // orchestrator ended the run without hearing from the agent (see LateResult). outputs is
    // NULL exactly then: an applied agent report always writes it ('{}' at least), end() never.
    return jdbc.update(
            "UPDATE run SET late_outcome = ?, late_exit_code = ?, late_ended_at = ?, late_reported_at = ?"
                + " WHERE id = ? AND attempt = ? AND machine_id = ? AND late_outcome IS NULL"
                + " AND state IN ('FAILED', 'TIMED_OUT') AND failure_reason IN ('AGENT_LOST', 'TIMED_OUT') AND outputs IS NULL",
            r.outcome(),
            r.exitCode(),
            r.endedAt(),
            now,
            r.runId(),
            r.attempt(),
            r.machineId())
        == 1;
  }

  @Override
  public boolean end(
      String runId, int attempt, RunState state, String failureReason, String message, Instant at) {
    int n =
        jdbc.update(
            "UPDATE run SET state = ?, failure_reason = ?, message = ?, ended_at = ?, lease_expires_at = NULL, run_deadline = NULL"
                + " WHERE id = ? AND attempt = ? AND state IN ('QUEUED', 'ASSIGNED', 'RUNNING')",
            state,
            failureReason,
            message == null ? null : clip(message, 2000),
            at,
            runId,
            attempt);
    if (n == 1) {
      jdbc.update(DEQUEUE, runId); // a queued run leaves the queue; an active one has no row
      freeBots(List.of(runId));
    }
    return n == 1;
  }

  /**
   * Frees the bots the given (just ended) runs held, found through each run's bot_id (primary key
   * lookups), in one batched statement.
   */
  private void freeBots(List<String> runIds) {
    if (runIds.isEmpty()) {
      return;
    }
    List<Object[]> rows = new ArrayList<>(runIds.size());
    runIds.forEach(id -> rows.add(new Object[] {id, id}));
    jdbc.batch(
        "UPDATE bot SET current_run_id = NULL WHERE id = (SELECT bot_id FROM run WHERE id = ?) AND current_run_id = ?",
        rows);
  }

  @Override
  public void requestCancel(String runId) {
    jdbc.update("UPDATE run SET cancel_requested = TRUE WHERE id = ?", runId);
  }

  /**
   * Said of every active (ASSIGNED, RUNNING) run, so that PostgreSQL reads them through the partial
   * index run_active (V11), which holds active runs only, instead of the history.
   */
  static final String ACTIVE = " AND machine_id IS NOT NULL AND ended_at IS NULL";

  @Override
  public List<Run> activeOn(String machineId) {
    return jdbc.query(
        "SELECT * FROM run WHERE machine_id = ? AND state IN ('ASSIGNED', 'RUNNING')" + ACTIVE,
        JdbcRunRepository::run,
        machineId);
  }

  @Override
  public List<Run> activeOnMachines(Collection<String> machineIds) {
    if (machineIds.isEmpty()) {
      return List.of();
    }
    String in = machineIds.stream().map(x -> "?").collect(Collectors.joining(","));
    return jdbc.query(
        "SELECT * FROM run WHERE state IN ('ASSIGNED', 'RUNNING') AND machine_id IN ("
            + in
            + ")"
            + ACTIVE,
        JdbcRunRepository::run,
        machineIds.toArray());
  }

  @Override
  public List<Run> expiredLeases(Instant now) {
    return jdbc.query(
        "SELECT * FROM run WHERE state = 'ASSIGNED' AND lease_expires_at < ?"
            + ACTIVE
            + " LIMIT 1000",
        JdbcRunRepository::run,
        now);
  }

  @Override
  public boolean holdUnconfirmed(String runId, int attempt) {
    // The run stays on its machine; only the lease goes, so the next sweep does not judge it again.
    return jdbc.update(
            "UPDATE run SET lease_expires_at = NULL WHERE id = ? AND attempt = ? AND state = 'ASSIGNED'",
            runId,
            attempt)
        == 1;
  }

  @Override
  public List<Run> expiredQueue(Instant now) {
    return queuedById(
        jdbc.query(
            "SELECT run_id FROM queued_run WHERE queue_deadline < ? LIMIT 1000",
            rs -> rs.getString(1),
            now));
  }

  @Override
  public List<Run> overdueRunning(Instant now) {
    return jdbc.query(
        "SELECT * FROM run WHERE state = 'RUNNING' AND run_deadline < ?" + ACTIVE + " LIMIT 1000",
        JdbcRunRepository::run,
        now);
  }

  @Override
  public List<Run> cancelRequested(Collection<String> machineIds) {
    if (machineIds.isEmpty()) {
      return List.of();
    }
    List<Run> all =
        jdbc.query(
            "SELECT * FROM run WHERE cancel_requested = TRUE AND state IN ('ASSIGNED', 'RUNNING')"
                + ACTIVE
                + " LIMIT 1000",
            JdbcRunRepository::run);
    return all.stream().filter(r -> machineIds.contains(r.machineId())).toList();
  }

  @Override
  public void saveDesktopFlow(DesktopFlow f) {
    int n =
        jdbc.update(
            "UPDATE desktop_flow SET retryable = ?, queue_timeout_s = ?, run_timeout_s = ? WHERE environment_id = ? AND name = ?",
            f.retryable(),
            f.queueTimeout().toSeconds(),
            f.runTimeout().toSeconds(),
            f.environmentId(),
            f.name());
    if (n == 0) {
      jdbc.update(
          "INSERT INTO desktop_flow (environment_id, name, retryable, queue_timeout_s, run_timeout_s) VALUES (?, ?, ?, ?, ?)"
              + " ON CONFLICT DO NOTHING",
          f.environmentId(),
          f.name(),
          f.retryable(),
          f.queueTimeout().toSeconds(),
          f.runTimeout().toSeconds());
    }
  }

  @Override
  public Optional<DesktopFlow> findDesktopFlow(String environmentId, String name) {
    return jdbc.queryOne(
        "SELECT * FROM desktop_flow WHERE environment_id = ? AND name = ?",
        JdbcRunRepository::desktopFlow,
        environmentId,
        name);
  }

  @Override
  public List<DesktopFlow> desktopFlows(String environmentId) {
    return jdbc.query(
        "SELECT * FROM desktop_flow WHERE environment_id = ? ORDER BY name",
        JdbcRunRepository::desktopFlow,
        environmentId);
  }

  private static DesktopFlow desktopFlow(ResultSet rs) throws SQLException {
    return new DesktopFlow(
        rs.getString("environment_id"),
        rs.getString("name"),
        rs.getBoolean("retryable"),
        Duration.ofSeconds(rs.getLong("queue_timeout_s")),
        Duration.ofSeconds(rs.getLong("run_timeout_s")));
  }

  private static Run run(ResultSet rs) throws SQLException {
    int exit = rs.getInt("exit_code");
    Integer exitCode = rs.wasNull() ? null : exit;
    return new Run(
        rs.getString("id"),
        rs.getString("environment_id"),
        rs.getString("flow_name"),
        new RunTarget(
            RunTarget.Kind.valueOf(rs.getString("target_kind")), rs.getString("target_id")),
        Priority.ofWeight(rs.getInt("priority")),
        JsonMaps.read(rs.getString("inputs")),
        rs.getString("triggering_flow"),
        Duration.ofSeconds(rs.getLong("queue_timeout_s")),
        Duration.ofSeconds(rs.getLong("run_timeout_s")),
        rs.getBoolean("retryable"),
        rs.getString("idempotency_key"),
        RunState.valueOf(rs.getString("state")),
        rs.getString("machine_id"),
        rs.getString("bot_id"),
        rs.getInt("attempt"),
        Jdbc.instant(rs, "submitted_at"),
        Jdbc.instant(rs, "queue_deadline"),
        Jdbc.instant(rs, "assigned_at"),
        Jdbc.instant(rs, "started_at"),
        Jdbc.instant(rs, "ended_at"),
        exitCode,
        JsonMaps.read(rs.getString("outputs")),
        rs.getString("log_tail"),
        rs.getString("failure_reason"),
        rs.getString("message"),
        rs.getBoolean("cancel_requested"),
        rs.getString("submitted_by"),
        lateResult(rs));
  }

  private static LateResult lateResult(ResultSet rs) throws SQLException {
    String outcome = rs.getString("late_outcome");
    if (outcome == null) {
      return null;
    }
    int exit = rs.getInt("late_exit_code");
    Integer exitCode = rs.wasNull() ? null : exit;
    return new LateResult(
        RunState.valueOf(outcome),
        exitCode,
        Jdbc.instant(rs, "late_ended_at"),
        Jdbc.instant(rs, "late_reported_at"));
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(s.length() - max);
  }
}
