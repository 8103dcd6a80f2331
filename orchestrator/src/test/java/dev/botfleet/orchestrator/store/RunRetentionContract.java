package dev.botfleet.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.common.MutableClock;
import dev.botfleet.orchestrator.runs.Claim;
import dev.botfleet.orchestrator.runs.Priority;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunRetention;
import dev.botfleet.orchestrator.runs.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 target 3: finished runs older than the retention period are purged in small slices;
 * queued, assigned and running runs stay whatever their age, and so do recent finished runs. With
 * the real repository and a moved clock, once per database.
 */
abstract class RunRetentionContract {
  static final Instant T0 = Instant.parse("2026-01-05T09:00:00Z");
  static final Duration KEEP = Duration.ofDays(30);

  @TempDir Path dir;
  Database database;
  JdbcTransactions tx;
  Jdbc jdbc;
  JdbcRunRepository runs;
  MutableClock clock;

  abstract Database open(Path dir);

  @BeforeEach
  void setUp() {
    database = open(dir);
    tx = new JdbcTransactions(database);
    jdbc = new Jdbc(tx);
    runs = new JdbcRunRepository(jdbc);
    clock = new MutableClock(T0);
    tx.run(
        () -> {
          for (String env : List.of("env_1", "env_2")) {
            jdbc.update(
                "INSERT INTO environment (id, name, type, created_at) VALUES (?, ?, 'PRODUCTION', ?)",
                env,
                env,
                T0);
          }
          jdbc.update(
              "INSERT INTO machine (id, environment_id, name, credential_hash, os_family, os_version, hostname,"
                  + " logical_cpus, memory_bytes, active_sessions, max_sessions, installed_flows, agent_version,"
                  + " auto_allocation, maintenance, status, last_heartbeat, enrolled_at)"
                  + " VALUES ('mach_a', 'env_1', 'mach_a', ?, 'LINUX', '6', 'mach_a', 2, 1024, 0, 4, '', '1',"
                  + " TRUE, FALSE, 'ONLINE', ?, ?)",
              "0".repeat(64),
              T0,
              T0);
          jdbc.update(
              "INSERT INTO bot (id, machine_id, environment_id, source, sku, allocated_at)"
                  + " VALUES ('bot_a1', 'mach_a', 'env_1', 'MANUAL', 'PROCESS', ?)",
              T0);
        });
  }

  @AfterEach
  void tearDown() {
    database.close();
  }

  RunRetention retention(int batchSize) {
    return new RunRetention(
        tx, runs, clock, KEEP, batchSize, Duration.ofMillis(1), Duration.ofMinutes(5));
  }

  static Run queued(String id, String env, Instant submittedAt, String key) {
    return dev.botfleet.orchestrator.testing.Runs.queued(
        id, env, "mach_a", Priority.NORMAL, Map.of(), submittedAt, key, false);
  }

  void insert(Run run) {
    assertThat(tx.inTransaction(() -> runs.insertAll(List.of(run)))).containsExactly(true);
  }

  /** A run submitted at {@code submitted} that ended in {@code state} an hour later. */
  void ended(String id, String env, Instant submitted, RunState state) {
    insert(queued(id, env, submitted, "key-" + id));
    assertThat(
            tx.inTransaction(
                () -> runs.end(id, 0, state, null, "ended", submitted.plus(Duration.ofHours(1)))))
        .isTrue();
  }

  boolean exists(String id) {
    return tx.inTransaction(() -> runs.find(id)).isPresent();
  }

  @Test
  void issue_9_finished_runs_past_retention_are_purged_and_the_rest_stay() {
    // Old history in both environments, in every final state.
    ended("old_ok", "env_1", T0, RunState.SUCCEEDED);
    ended("old_failed", "env_1", T0, RunState.FAILED);
    ended("old_cancelled", "env_2", T0, RunState.CANCELLED);
    ended("old_timed_out", "env_2", T0, RunState.TIMED_OUT);
    // As old, but not finished: a queued run and one assigned to a bot (R5 owns those).
    insert(queued("old_queued", "env_1", T0, null));
    Run assigned = queued("old_assigned", "env_1", T0, null);
    insert(assigned);
    assertThat(
            tx.inTransaction(
                () ->
                    runs.claim(
                        List.of(new Claim(assigned, "mach_a", "bot_a1", 1)),
                        T0,
                        T0.plusSeconds(30))))
        .hasSize(1);
    // Submitted long ago but ended recently (a 29-day queue): kept until 30 days after its end.
    insert(queued("long_wait", "env_1", T0, null));
    tx.inTransaction(
        () ->
            runs.end(
                "long_wait",
                0,
                RunState.FAILED,
                "QUEUE_TIMEOUT",
                "x",
                T0.plus(29, java.time.temporal.ChronoUnit.DAYS)));
    // Recent history.
    ended("recent_ok", "env_1", T0.plus(Duration.ofDays(20)), RunState.SUCCEEDED);

    RunRetention retention = retention(1000);
    // Nothing is old enough yet.
    clock.set(T0.plus(Duration.ofDays(10)));
    assertThat(retention.purgeNow()).isZero();

    clock.set(T0.plus(Duration.ofDays(31)));
    assertThat(retention.purgeNow()).isEqualTo(4);
    assertThat(retention.purged()).isEqualTo(4);

    assertThat(List.of("old_ok", "old_failed", "old_cancelled", "old_timed_out"))
        .noneMatch(this::exists);
    assertThat(List.of("old_queued", "old_assigned", "long_wait", "recent_ok"))
        .allMatch(this::exists);
    // The assigned run still holds its bot; a purged run's key is free again (R6 ends with it).
    assertThat(tx.inTransaction(() -> runs.find("old_assigned")).orElseThrow().state())
        .isEqualTo(RunState.ASSIGNED);
    assertThat(tx.inTransaction(() -> runs.findByKey("env_1", "key-old_ok"))).isEmpty();
    assertThat(tx.inTransaction(() -> runs.findByKey("env_1", "key-recent_ok"))).isPresent();

    // Later still, the long wait and the recent run go too; the active ones never do.
    clock.set(T0.plus(Duration.ofDays(60)));
    assertThat(retention.purgeNow()).isEqualTo(2);
    assertThat(List.of("old_queued", "old_assigned")).allMatch(this::exists);
    assertThat(retention.purged()).isEqualTo(6);
  }

  @Test
  void issue_9_a_backlog_is_purged_in_bounded_slices() {
    for (int i = 0; i < 25; i++) {
      ended("run_" + i, i % 2 == 0 ? "env_1" : "env_2", T0, RunState.SUCCEEDED);
    }
    clock.set(T0.plus(Duration.ofDays(31)));
    // One slice deletes at most its batch size, whatever the backlog.
    assertThat(tx.inTransaction(() -> runs.purgeEnded(clock.instant().minus(KEEP), 10)))
        .isEqualTo(10);
    // A pass goes on, slice after slice, until a slice comes back short.
    assertThat(retention(10).purgeNow()).isEqualTo(15);
    assertThat(runCount()).isZero();
  }

  @Test
  void issue_9_several_replicas_may_purge_at_once() throws Exception {
    for (int i = 0; i < 300; i++) {
      ended("run_" + i, i % 2 == 0 ? "env_1" : "env_2", T0, RunState.SUCCEEDED);
    }
    insert(queued("still_queued", "env_1", T0, null));
    clock.set(T0.plus(Duration.ofDays(31)));
    List<RunRetention> replicas = List.of(retention(20), retention(20), retention(20));
    ExecutorService pool = Executors.newFixedThreadPool(replicas.size());
    try {
      List<Future<Long>> passes = new ArrayList<>();
      for (RunRetention r : replicas) {
        passes.add(pool.submit((Callable<Long>) r::purgeNow));
      }
      long total = 0;
      for (Future<Long> f : passes) {
        total += f.get();
      }
      // A pass ends at its first short slice, which a rival's deletes can cause (on H2, which
      // waits for the rival's locks); the next pass takes the rest. No pass failed, and each run
      // was deleted (and counted) exactly once.
      total += replicas.get(0).purgeNow();
      assertThat(total).isEqualTo(300);
      assertThat(replicas.stream().mapToLong(RunRetention::purged).sum()).isEqualTo(300);
    } finally {
      pool.shutdownNow();
    }
    assertThat(runCount()).isEqualTo(1);
    assertThat(exists("still_queued")).isTrue();
  }

  long runCount() {
    return tx.inTransaction(() -> jdbc.queryLong("SELECT COUNT(*) FROM run"));
  }
}
