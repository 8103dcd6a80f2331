package dev.botfleet.bench;

import dev.botfleet.orchestrator.machines.MachineGroup;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code backlog} mode of {@link DispatchBenchmark} (issue 9, target 3): does a large backlog
 * or a long history slow dispatch? The database is seeded with SQL (the product's own inserts would
 * take an hour for 11 million rows) with rows of the shape the product writes: QUEUED runs for
 * empty groups, which wait for ever and so stay in {@code queued_run}, and SUCCEEDED runs of the
 * benchmark's own machines, ended over the last 60 days, so half of them are past the default
 * 30-day retention. Then the 50 × 10 fleet runs RUNS instant runs N times while a retention pass
 * purges the old half, as the background purge would; the clock ends when the fleet has finished
 * every run and has no report left unacknowledged (an acknowledgement follows the commit), which
 * needs no count over the history.
 */
final class Backlog {
  private Backlog() {}

  static void run(String db, int queued, int targets, long history, int runs, int n)
      throws Exception {
    try (DispatchBenchmark.Setup s = DispatchBenchmark.setup(db, 50, 10)) {
      long t0 = System.nanoTime();
      seed(s, queued, targets, history);
      System.out.printf(
          Locale.ROOT,
          "RESULT backlog seeded queued=%d targets=%d history=%d seed_s=%.0f%n",
          queued,
          targets,
          history,
          (System.nanoTime() - t0) / 1e9);
      Thread purge =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  if (s.o().runRetention.purgeNow() == 0) {
                    return;
                  }
                }
              },
              "bench-purge");
      purge.setDaemon(true);
      if (history > 0) {
        purge.start();
      }
      List<Double> figures = new ArrayList<>();
      long completedBefore = 0;
      for (int i = 1; i <= n; i++) {
        AtomicLong failed = new AtomicLong();
        long purgedBefore = s.o().runRetention.purged();
        long start = System.nanoTime();
        long submitted = DispatchBenchmark.submitAll(s, runs, failed);
        long expected = completedBefore + runs - failed.get();
        while (s.fleet().completedRuns() < expected || s.fleet().pendingReports() > 0) {
          Thread.sleep(20);
        }
        completedBefore = s.fleet().completedRuns();
        double secs = (System.nanoTime() - start) / 1e9;
        figures.add(runs / secs);
        System.out.printf(
            Locale.ROOT,
            "RESULT backlog db=%s run=%d/%d queued=%d history=%d runs=%d submit_failed=%d submit_s=%.2f total_s=%.2f runs_per_s=%.0f purged_meanwhile=%d load1=%s%n",
            db,
            i,
            n,
            queued,
            history,
            runs,
            failed.get(),
            (submitted - start) / 1e9,
            secs,
            runs / secs,
            s.o().runRetention.purged() - purgedBefore,
            Series.loadAverage());
      }
      purge.interrupt();
      List<Double> sorted = new ArrayList<>(figures);
      Collections.sort(sorted);
      System.out.printf(
          Locale.ROOT,
          "RESULT backlog db=%s queued=%d history=%d min=%.0f median=%.0f max=%.0f%n",
          db,
          queued,
          history,
          sorted.get(0),
          sorted.get(sorted.size() / 2),
          sorted.get(sorted.size() - 1));
    }
  }

  private static void seed(DispatchBenchmark.Setup s, int queued, int targets, long history)
      throws SQLException {
    boolean pg = s.o().database.dialect().name().equals("postgresql");
    String envId;
    List<String> machineIds = new ArrayList<>();
    try (Connection c = s.o().database.dataSource().getConnection();
        Statement st = c.createStatement()) {
      var rs = st.executeQuery("SELECT id FROM environment WHERE name = 'bench'");
      rs.next();
      envId = rs.getString(1);
      rs = st.executeQuery("SELECT id FROM machine ORDER BY id");
      while (rs.next()) {
        machineIds.add(rs.getString(1));
      }
    }
    List<String> groupIds = new ArrayList<>();
    for (int i = 0; i < targets; i++) {
      MachineGroup g = s.o().groups.createGroup(s.admin(), "backlog-" + i, "bench");
      groupIds.add(g.id());
    }
    Instant now = Instant.now();
    try (Connection c = s.o().database.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE bench_target (ord INT PRIMARY KEY, id VARCHAR(40) NOT NULL)");
      }
      c.commit();
      if (queued > 0) {
        fillTargets(c, groupIds);
        insertRuns(c, pg, envId, 0, queued, targets, "GROUP", "QUEUED", now, Duration.ZERO);
        try (Statement st = c.createStatement()) {
          st.execute(
              "INSERT INTO queued_run (run_id, target_id, priority, submitted_at, seq, queue_deadline)"
                  + " SELECT id, target_id, priority, submitted_at, seq, queue_deadline FROM run"
                  + " WHERE state = 'QUEUED' AND id LIKE 'run-bench-%'");
        }
        c.commit();
      }
      if (history > 0) {
        fillTargets(c, machineIds);
        // One million rows per transaction: bounded undo on both databases.
        for (long from = 0; from < history; from += 1_000_000) {
          long count = Math.min(1_000_000, history - from);
          insertRuns(
              c,
              pg,
              envId,
              queued + from,
              count,
              machineIds.size(),
              "MACHINE",
              "SUCCEEDED",
              now.minus(Duration.ofDays(60).dividedBy(Math.max(1, history)).multipliedBy(from)),
              Duration.ofDays(60).dividedBy(Math.max(1, history)));
          System.out.printf(Locale.ROOT, "seeded history %d/%d%n", from + count, history);
        }
      }
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE bench_target");
      }
      c.commit();
    }
    if (pg) {
      // As autovacuum would have done on a database that grew to this size over weeks.
      try (Connection c = s.o().database.dataSource().getConnection();
          Statement st = c.createStatement()) {
        c.setAutoCommit(true); // VACUUM runs outside a transaction
        st.execute("VACUUM ANALYZE run");
        st.execute("VACUUM ANALYZE queued_run");
      }
    }
  }

  private static void fillTargets(Connection c, List<String> ids) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("DELETE FROM bench_target");
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO bench_target VALUES (?, ?)")) {
      for (int i = 0; i < ids.size(); i++) {
        ps.setInt(1, i);
        ps.setString(2, ids.get(i));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    c.commit();
  }

  /**
   * Rows {@code from .. from + count - 1}, spread round-robin over the {@code targets} rows of
   * bench_target. Queued runs wait a day; finished runs were submitted {@code step × (row - from)}
   * before now, each assigned, started and ended within the same second.
   */
  private static void insertRuns(
      Connection c,
      boolean pg,
      String envId,
      long from,
      long count,
      int targets,
      String kind,
      String state,
      Instant now,
      Duration step)
      throws SQLException {
    String series =
        pg
            ? "generate_series(" + from + "::bigint, " + (from + count - 1) + "::bigint) AS g(x)"
            : "SYSTEM_RANGE(" + from + ", " + (from + count - 1) + ") AS g(x)";
    String x = "g.x";
    boolean ended = !state.equals("QUEUED");
    String at =
        ended
            ? (pg
                ? "(CAST(? AS TIMESTAMP WITH TIME ZONE) - ("
                    + x
                    + " - "
                    + from
                    + ") * INTERVAL '"
                    + step.toNanos() / 1000
                    + " microseconds')"
                : "DATEADD(MICROSECOND, -("
                    + x
                    + " - "
                    + from
                    + ") * "
                    + step.toNanos() / 1000
                    + ", CAST(? AS TIMESTAMP WITH TIME ZONE))")
            : "CAST(? AS TIMESTAMP WITH TIME ZONE)";
    String sql =
        "INSERT INTO run (id, environment_id, flow_name, target_kind, target_id, priority, inputs,"
            + " queue_timeout_s, run_timeout_s, retryable, state, machine_id, bot_id, attempt,"
            + " submitted_at, queue_deadline, assigned_at, started_at, ended_at, exit_code, outputs,"
            + " cancel_requested, submitted_by)"
            + " SELECT CONCAT('run-bench-', CAST("
            + x
            + " AS VARCHAR(20))), ?, 'noop', '"
            + kind
            + "', t.id, 2, '{}', 86400, 3600, FALSE, '"
            + state
            + "', "
            + (ended ? "t.id, NULL, 1, " : "NULL, NULL, 0, ")
            + at
            + ", CAST(? AS TIMESTAMP WITH TIME ZONE), "
            + (ended ? at + ", " + at + ", " + at + ", 0, '{}'" : "NULL, NULL, NULL, NULL, NULL")
            + ", FALSE, 'bench'"
            + " FROM "
            + series
            + " JOIN bench_target t ON t.ord = MOD("
            + x
            + ", "
            + targets
            + ")";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Timestamp ts = Timestamp.from(now);
      int i = 1;
      ps.setString(i++, envId);
      ps.setTimestamp(i++, ts); // submitted_at
      ps.setTimestamp(i++, Timestamp.from(now.plus(Duration.ofDays(1)))); // queue_deadline
      if (ended) {
        ps.setTimestamp(i++, ts);
        ps.setTimestamp(i++, ts);
        ps.setTimestamp(i++, ts);
      }
      ps.executeUpdate();
    }
    c.commit();
  }
}
