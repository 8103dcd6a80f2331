package dev.botfleet.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.runs.Claim;
import dev.botfleet.orchestrator.runs.Priority;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunReport;
import dev.botfleet.orchestrator.runs.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run repository's SQL on its own (issue 8 §3), without the server: claiming (R2, R5 fencing),
 * re-queueing, applying agent reports (R5, A6), late results, ending runs and queue order (R3).
 * Subclassed once per database, in db-scheduler's style, so the dialect-sensitive statements are
 * proven on H2 and on PostgreSQL alike.
 */
abstract class RunRepositoryContract {
  static final Instant T0 = Instant.parse("2026-01-05T09:00:00Z");

  @TempDir Path dir;
  Database database;
  JdbcTransactions tx;
  Jdbc jdbc;
  JdbcRunRepository runs;
  private final AtomicInteger ids = new AtomicInteger();

  /** A migrated, empty database for one test. */
  abstract Database open(Path dir);

  @BeforeEach
  void setUp() {
    database = open(dir);
    tx = new JdbcTransactions(database);
    jdbc = new Jdbc(tx);
    runs = new JdbcRunRepository(jdbc);
    tx.run(
        () -> {
          jdbc.update(
              "INSERT INTO environment (id, name, type, created_at) VALUES ('env_1', 'prod', 'PRODUCTION', ?)",
              T0);
          machine("mach_a");
          machine("mach_b");
          bot("bot_a1", "mach_a");
          bot("bot_a2", "mach_a");
          bot("bot_b1", "mach_b");
        });
  }

  @AfterEach
  void tearDown() {
    database.close();
  }

  // ------------------------------------------------------------------ fixtures

  private void machine(String id) {
    jdbc.update(
        "INSERT INTO machine (id, environment_id, name, credential_hash, os_family, os_version, hostname,"
            + " logical_cpus, memory_bytes, active_sessions, max_sessions, installed_flows, agent_version,"
            + " auto_allocation, maintenance, status, last_heartbeat, enrolled_at)"
            + " VALUES (?, 'env_1', ?, ?, 'LINUX', '6', ?, 2, 1024, 0, 4, '', '1', TRUE, FALSE, 'ONLINE', ?, ?)",
        id,
        id,
        String.format("%064d", ids.incrementAndGet()),
        id,
        T0,
        T0);
  }

  private void bot(String id, String machineId) {
    jdbc.update(
        "INSERT INTO bot (id, machine_id, environment_id, source, sku, allocated_at)"
            + " VALUES (?, ?, 'env_1', 'MANUAL', 'PROCESS', ?)",
        id,
        machineId,
        T0);
  }

  Run queued(String id, String targetId, Priority priority, Instant submittedAt) {
    return queued(id, targetId, priority, submittedAt, null, false);
  }

  Run queued(
      String id,
      String targetId,
      Priority priority,
      Instant submittedAt,
      String key,
      boolean retryable) {
    return dev.botfleet.orchestrator.testing.Runs.queued(
        id, "env_1", targetId, priority, Map.of("x", "1"), submittedAt, key, retryable);
  }

  Run insert(Run run) {
    assertThat(tx.inTransaction(() -> runs.insertAll(List.of(run)))).containsExactly(true);
    return find(run.id());
  }

  Run find(String id) {
    return tx.inTransaction(() -> runs.find(id)).orElseThrow();
  }

  List<Claim> claim(Claim... claims) {
    return tx.inTransaction(() -> runs.claim(List.of(claims), T0, T0.plusSeconds(30)));
  }

  Claim claimOn(Run run, String machineId, String botId) {
    List<Claim> won = claim(new Claim(run, machineId, botId, run.attempt() + 1));
    assertThat(won).hasSize(1);
    return won.get(0);
  }

  /** The run a bot carries, if any (R2). */
  Optional<String> botHolds(String botId) {
    String held =
        tx.inTransaction(
            () ->
                jdbc.queryOne(
                        "SELECT COALESCE(current_run_id, '') FROM bot WHERE id = ?",
                        rs -> rs.getString(1),
                        botId)
                    .orElseThrow());
    return held.isEmpty() ? Optional.empty() : Optional.of(held);
  }

  List<RunReport> apply(RunReport... reports) {
    return tx.inTransaction(() -> runs.applyReports(List.of(reports), T0.plusSeconds(60)));
  }

  static RunReport finished(String machineId, String runId, int attempt, RunState outcome) {
    return new RunReport(
        machineId,
        runId,
        attempt,
        outcome,
        T0.plusSeconds(1),
        T0.plusSeconds(5),
        outcome == RunState.SUCCEEDED ? 0 : 3,
        Map.of("out", "42"),
        "tail",
        outcome == RunState.SUCCEEDED ? null : "EXIT_CODE_3",
        null);
  }

  // ------------------------------------------------------------------ R6 insert

  @Test
  void r6_a_second_insert_with_the_same_idempotency_key_is_refused() {
    Run first = queued("run_1", "mach_a", Priority.NORMAL, T0, "key-1", false);
    Run second = queued("run_2", "mach_a", Priority.NORMAL, T0, "key-1", false);
    Run plain = queued("run_3", "mach_a", Priority.NORMAL, T0);

    assertThat(tx.inTransaction(() -> runs.insertAll(List.of(first, plain, second))))
        .containsExactly(true, true, false);
    assertThat(tx.inTransaction(() -> runs.findByKey("env_1", "key-1")))
        .map(Run::id)
        .contains("run_1");
    assertThat(tx.inTransaction(() -> runs.find("run_2"))).isEmpty();
  }

  @Test
  void issue_12_idempotency_keys_are_scoped_to_the_environment() {
    tx.run(
        () ->
            jdbc.update(
                "INSERT INTO environment (id, name, type, created_at) VALUES ('env_2', 'dev', 'SANDBOX', ?)",
                T0));
    Run prod = queued("run_1", "mach_a", Priority.NORMAL, T0, "shared-key", false);
    Run dev = withEnvironment(queued("run_2", "mach_a", Priority.NORMAL, T0, "shared-key", false));

    // The same key in another environment neither collides nor finds the other run.
    assertThat(tx.inTransaction(() -> runs.insertAll(List.of(prod, dev))))
        .containsExactly(true, true);
    assertThat(tx.inTransaction(() -> runs.findByKey("env_1", "shared-key")))
        .map(Run::id)
        .contains("run_1");
    assertThat(tx.inTransaction(() -> runs.findByKey("env_2", "shared-key")))
        .map(Run::id)
        .contains("run_2");
    assertThat(tx.inTransaction(() -> runs.findByKey("env_3", "shared-key"))).isEmpty();
  }

  private static Run withEnvironment(Run r) {
    return new Run(
        r.id(),
        "env_2",
        r.flowName(),
        r.target(),
        r.priority(),
        r.inputs(),
        r.triggeringFlow(),
        r.queueTimeout(),
        r.runTimeout(),
        r.retryable(),
        r.idempotencyKey(),
        r.state(),
        r.machineId(),
        r.botId(),
        r.attempt(),
        r.submittedAt(),
        r.queueDeadline(),
        r.assignedAt(),
        r.startedAt(),
        r.endedAt(),
        r.exitCode(),
        r.outputs(),
        r.logTail(),
        r.failureReason(),
        r.message(),
        r.cancelRequested(),
        r.submittedBy(),
        r.lateResult());
  }

  @Test
  void r1_an_inserted_run_reads_back_queued_with_what_was_submitted() {
    Run run = insert(queued("run_1", "mach_a", Priority.HIGH, T0));

    assertThat(run.state()).isEqualTo(RunState.QUEUED);
    assertThat(run.attempt()).isZero();
    assertThat(run.priority()).isEqualTo(Priority.HIGH);
    assertThat(run.inputs()).containsEntry("x", "1");
    assertThat(run.submittedAt()).isEqualTo(T0);
    assertThat(run.queueDeadline()).isEqualTo(T0.plus(Duration.ofHours(6)));
    assertThat(run.machineId()).isNull();
  }

  // ------------------------------------------------------------------ R3 queue order

  @Test
  void r3_queued_runs_come_by_priority_then_submission_time_per_target() {
    insert(queued("run_low", "mach_a", Priority.LOW, T0));
    insert(queued("run_n2", "mach_a", Priority.NORMAL, T0.plusSeconds(2)));
    insert(queued("run_n1", "mach_a", Priority.NORMAL, T0.plusSeconds(1)));
    insert(queued("run_high", "mach_a", Priority.HIGH, T0.plusSeconds(3)));
    insert(queued("run_other", "mach_b", Priority.HIGH, T0));

    List<Run> forA = tx.inTransaction(() -> runs.queuedFor(Map.of("mach_a", 10)));
    assertThat(forA).extracting(Run::id).containsExactly("run_high", "run_n1", "run_n2", "run_low");
    assertThat(tx.inTransaction(() -> runs.aheadOf(find("run_n2")))).isEqualTo(2);
    assertThat(tx.inTransaction(() -> runs.aheadOf(find("run_high")))).isZero();
  }

  @Test
  void r3_runs_submitted_at_the_same_instant_keep_their_insertion_order() {
    insert(queued("run_z", "mach_a", Priority.NORMAL, T0));
    insert(queued("run_a", "mach_a", Priority.NORMAL, T0));
    insert(queued("run_m", "mach_a", Priority.NORMAL, T0));

    assertThat(tx.inTransaction(() -> runs.queuedFor(Map.of("mach_a", 10))))
        .extracting(Run::id)
        .containsExactly("run_z", "run_a", "run_m");
    assertThat(tx.inTransaction(() -> runs.aheadOf(find("run_m")))).isEqualTo(2);
  }

  @Test
  void r9_each_target_is_limited_to_what_it_can_take_and_only_queued_runs_count() {
    insert(queued("run_a1", "mach_a", Priority.NORMAL, T0));
    insert(queued("run_a2", "mach_a", Priority.NORMAL, T0.plusSeconds(1)));
    insert(queued("run_a3", "mach_a", Priority.NORMAL, T0.plusSeconds(2)));
    Run b1 = insert(queued("run_b1", "mach_b", Priority.NORMAL, T0));
    insert(queued("run_b2", "mach_b", Priority.NORMAL, T0.plusSeconds(1)));
    claimOn(b1, "mach_b", "bot_b1");

    List<Run> batch = tx.inTransaction(() -> runs.queuedFor(Map.of("mach_a", 2, "mach_b", 5)));

    assertThat(batch).extracting(Run::id).containsExactlyInAnyOrder("run_a1", "run_a2", "run_b2");
    assertThat(tx.inTransaction(runs::queueDepthByTarget))
        .containsEntry("mach_a", 3L)
        .containsEntry("mach_b", 1L);
    assertThat(tx.inTransaction(runs::countByState))
        .containsEntry(RunState.QUEUED, 4L)
        .containsEntry(RunState.ASSIGNED, 1L);
  }

  // ------------------------------------------------------------------ R2 claim

  @Test
  void r2_a_claim_assigns_the_run_to_the_bot_with_a_new_attempt_and_a_lease() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));

    claimOn(run, "mach_a", "bot_a1");

    Run claimed = find("run_1");
    assertThat(claimed.state()).isEqualTo(RunState.ASSIGNED);
    assertThat(claimed.machineId()).isEqualTo("mach_a");
    assertThat(claimed.botId()).isEqualTo("bot_a1");
    assertThat(claimed.attempt()).isEqualTo(1);
    assertThat(claimed.assignedAt()).isEqualTo(T0);
    assertThat(botHolds("bot_a1")).contains("run_1");
    assertThat(tx.inTransaction(() -> runs.expiredLeases(T0.plusSeconds(29)))).isEmpty();
    assertThat(tx.inTransaction(() -> runs.expiredLeases(T0.plusSeconds(31))))
        .extracting(Run::id)
        .containsExactly("run_1");
    assertThat(tx.inTransaction(() -> runs.activeOn("mach_a")))
        .extracting(Run::id)
        .containsExactly("run_1");
  }

  @Test
  void r2_a_run_is_claimed_at_most_once() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");

    // A second claimer that read the run while it was queued (another replica, a stale pass).
    assertThat(claim(new Claim(run, "mach_b", "bot_b1", 1))).isEmpty();

    assertThat(find("run_1").machineId()).isEqualTo("mach_a");
    assertThat(botHolds("bot_b1")).isEmpty();
  }

  @Test
  void r2_a_busy_bot_takes_no_second_run_and_the_loser_stays_queued() {
    Run first = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    Run second = insert(queued("run_2", "mach_a", Priority.NORMAL, T0.plusSeconds(1)));
    claimOn(first, "mach_a", "bot_a1");

    assertThat(claim(new Claim(second, "mach_a", "bot_a1", 1))).isEmpty();

    Run loser = find("run_2");
    assertThat(loser.state()).isEqualTo(RunState.QUEUED);
    assertThat(loser.attempt()).isZero();
    assertThat(loser.machineId()).isNull();
    assertThat(loser.botId()).isNull();
    assertThat(botHolds("bot_a1")).contains("run_1");
    // It can still be claimed on a free bot.
    claimOn(loser, "mach_a", "bot_a2");
  }

  @Test
  void r2_a_batch_claim_reports_exactly_the_claims_that_won() {
    Run r1 = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    Run r2 = insert(queued("run_2", "mach_a", Priority.NORMAL, T0));
    Run r3 = insert(queued("run_3", "mach_a", Priority.NORMAL, T0));

    List<Claim> won =
        claim(
            new Claim(r1, "mach_a", "bot_a1", 1),
            new Claim(r2, "mach_a", "bot_a1", 1), // same bot: loses
            new Claim(r3, "mach_b", "bot_b1", 1));

    assertThat(won).extracting(c -> c.run().id()).containsExactly("run_1", "run_3");
    assertThat(find("run_2").state()).isEqualTo(RunState.QUEUED);
  }

  @Test
  void r7_a_run_with_a_cancel_requested_is_not_claimed() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    tx.run(() -> runs.requestCancel("run_1"));

    assertThat(claim(new Claim(run, "mach_a", "bot_a1", 1))).isEmpty();
    assertThat(botHolds("bot_a1")).isEmpty();
  }

  // ------------------------------------------------------------------ R5 requeue

  @Test
  void r5_requeue_frees_the_bot_and_keeps_the_attempt_for_fencing() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0, null, true));
    claimOn(run, "mach_a", "bot_a1");

    assertThat(tx.inTransaction(() -> runs.requeue("run_1", 1, "mach_a", "lease expired")))
        .isTrue();

    Run back = find("run_1");
    assertThat(back.state()).isEqualTo(RunState.QUEUED);
    assertThat(back.attempt()).isEqualTo(1);
    assertThat(back.machineId()).isNull();
    assertThat(back.botId()).isNull();
    assertThat(back.message()).isEqualTo("lease expired");
    assertThat(botHolds("bot_a1")).isEmpty();
    // The next claim is attempt 2.
    assertThat(claimOn(back, "mach_b", "bot_b1").attempt()).isEqualTo(2);
    assertThat(find("run_1").attempt()).isEqualTo(2);
  }

  @Test
  void r5_requeue_is_fenced_by_machine_and_attempt() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");

    assertThat(tx.inTransaction(() -> runs.requeue("run_1", 1, "mach_b", "not mine"))).isFalse();
    assertThat(tx.inTransaction(() -> runs.requeue("run_1", 2, "mach_a", "stale"))).isFalse();

    assertThat(find("run_1").state()).isEqualTo(RunState.ASSIGNED);
    assertThat(botHolds("bot_a1")).contains("run_1");
  }

  @Test
  void r5_a_running_run_can_be_requeued_and_forgets_its_start() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0, null, true));
    claimOn(run, "mach_a", "bot_a1");
    apply(RunReport.started("mach_a", "run_1", 1, T0.plusSeconds(1)));

    assertThat(tx.inTransaction(() -> runs.requeue("run_1", 1, "mach_a", "agent lost"))).isTrue();

    Run back = find("run_1");
    assertThat(back.state()).isEqualTo(RunState.QUEUED);
    assertThat(back.startedAt()).isNull();
    assertThat(botHolds("bot_a1")).isEmpty();
  }

  // ------------------------------------------------------------------ R5, A6 reports

  @Test
  void r5_a_start_report_moves_the_run_to_running_and_ends_its_lease() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");

    RunReport started = RunReport.started("mach_a", "run_1", 1, T0.plusSeconds(1));
    assertThat(apply(started)).containsExactly(started);

    Run running = find("run_1");
    assertThat(running.state()).isEqualTo(RunState.RUNNING);
    assertThat(running.startedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(tx.inTransaction(() -> runs.expiredLeases(T0.plus(Duration.ofDays(1))))).isEmpty();
    // Run time-out backstop: lease end + run time-out + grace.
    Instant deadline =
        T0.plusSeconds(30).plus(Duration.ofHours(24)).plus(JdbcRunRepository.RUN_DEADLINE_GRACE);
    assertThat(tx.inTransaction(() -> runs.overdueRunning(deadline.minusSeconds(1)))).isEmpty();
    assertThat(tx.inTransaction(() -> runs.overdueRunning(deadline.plusSeconds(1))))
        .extracting(Run::id)
        .containsExactly("run_1");
  }

  @Test
  void r5_a_finished_report_ends_the_run_with_its_outcome_and_frees_the_bot() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");
    apply(RunReport.started("mach_a", "run_1", 1, T0.plusSeconds(1)));

    RunReport done = finished("mach_a", "run_1", 1, RunState.FAILED);
    assertThat(apply(done)).containsExactly(done);

    Run ended = find("run_1");
    assertThat(ended.state()).isEqualTo(RunState.FAILED);
    assertThat(ended.failureReason()).isEqualTo("EXIT_CODE_3");
    assertThat(ended.exitCode()).isEqualTo(3);
    assertThat(ended.outputs()).containsEntry("out", "42");
    assertThat(ended.logTail()).isEqualTo("tail");
    assertThat(ended.endedAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(ended.startedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(botHolds("bot_a1")).isEmpty();
    assertThat(tx.inTransaction(() -> runs.activeOn("mach_a"))).isEmpty();
  }

  @Test
  void r5_a_start_and_its_end_in_one_batch_apply_as_the_end() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");

    RunReport started = RunReport.started("mach_a", "run_1", 1, T0.plusSeconds(1));
    RunReport done = finished("mach_a", "run_1", 1, RunState.SUCCEEDED);
    assertThat(apply(started, done)).containsExactly(done);

    Run ended = find("run_1");
    assertThat(ended.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(ended.startedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(botHolds("bot_a1")).isEmpty();
  }

  @Test
  void r5_reports_from_another_machine_or_attempt_change_nothing() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");

    assertThat(
            apply(
                RunReport.started("mach_b", "run_1", 1, T0),
                finished("mach_b", "run_1", 1, RunState.SUCCEEDED),
                finished("mach_a", "run_1", 2, RunState.SUCCEEDED),
                finished("mach_a", "run_unknown", 1, RunState.SUCCEEDED)))
        .isEmpty();

    assertThat(find("run_1").state()).isEqualTo(RunState.ASSIGNED);
    assertThat(botHolds("bot_a1")).contains("run_1");
  }

  @Test
  void a6_a_result_sent_again_is_applied_once() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");
    RunReport done = finished("mach_a", "run_1", 1, RunState.SUCCEEDED);

    assertThat(apply(done)).hasSize(1);
    assertThat(apply(done)).isEmpty();

    assertThat(find("run_1").state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void a6_a_bot_freed_by_a_result_does_not_lose_its_next_run_to_a_repeat() {
    Run first = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(first, "mach_a", "bot_a1");
    RunReport done = finished("mach_a", "run_1", 1, RunState.SUCCEEDED);
    apply(done);
    Run second = insert(queued("run_2", "mach_a", Priority.NORMAL, T0.plusSeconds(1)));
    claimOn(second, "mach_a", "bot_a1");

    apply(done); // re-sent after a lost acknowledgement

    assertThat(botHolds("bot_a1")).contains("run_2");
  }

  // ------------------------------------------------------------------ R5 end, late results

  @Test
  void r5_end_is_conditional_on_the_attempt_and_frees_the_bot_once() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");

    assertThat(
            tx.inTransaction(
                () -> runs.end("run_1", 0, RunState.FAILED, "AGENT_LOST", "stale", T0)))
        .isFalse();
    assertThat(
            tx.inTransaction(
                () ->
                    runs.end("run_1", 1, RunState.FAILED, "AGENT_LOST", "lost", T0.plusSeconds(9))))
        .isTrue();
    assertThat(
            tx.inTransaction(
                () -> runs.end("run_1", 1, RunState.CANCELLED, "X", "again", T0.plusSeconds(10))))
        .isFalse();

    Run ended = find("run_1");
    assertThat(ended.state()).isEqualTo(RunState.FAILED);
    assertThat(ended.failureReason()).isEqualTo("AGENT_LOST");
    assertThat(ended.endedAt()).isEqualTo(T0.plusSeconds(9));
    assertThat(botHolds("bot_a1")).isEmpty();
  }

  @Test
  void r4_a_queued_run_past_its_queue_deadline_is_found_and_can_end() {
    insert(queued("run_1", "mach_a", Priority.NORMAL, T0));

    Instant deadline = T0.plus(Duration.ofHours(6));
    assertThat(tx.inTransaction(() -> runs.expiredQueue(deadline.minusSeconds(1)))).isEmpty();
    assertThat(tx.inTransaction(() -> runs.expiredQueue(deadline.plusSeconds(1))))
        .extracting(Run::id)
        .containsExactly("run_1");
    assertThat(
            tx.inTransaction(
                () -> runs.end("run_1", 0, RunState.FAILED, "QUEUE_TIMEOUT", "too long", deadline)))
        .isTrue();
    assertThat(tx.inTransaction(() -> runs.expiredQueue(deadline.plusSeconds(1)))).isEmpty();
  }

  @Test
  void r5_a_result_after_agent_lost_is_kept_once_as_a_late_outcome() {
    Run run = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(run, "mach_a", "bot_a1");
    tx.inTransaction(
        () -> runs.end("run_1", 1, RunState.FAILED, "AGENT_LOST", "lost", T0.plusSeconds(3)));
    RunReport late = finished("mach_a", "run_1", 1, RunState.SUCCEEDED);

    assertThat(apply(late)).isEmpty();
    assertThat(tx.inTransaction(() -> runs.recordLateResult(late, T0.plusSeconds(60)))).isTrue();
    assertThat(tx.inTransaction(() -> runs.recordLateResult(late, T0.plusSeconds(61)))).isFalse();

    Run kept = find("run_1");
    assertThat(kept.state()).isEqualTo(RunState.FAILED);
    assertThat(kept.lateResult()).isNotNull();
    assertThat(kept.lateResult().outcome()).isEqualTo(RunState.SUCCEEDED);
    assertThat(kept.lateResult().exitCode()).isZero();
    assertThat(kept.lateResult().reportedAt()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void r5_a_late_result_is_refused_from_another_machine_or_for_an_agent_reported_end() {
    Run lost = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    claimOn(lost, "mach_a", "bot_a1");
    tx.inTransaction(() -> runs.end("run_1", 1, RunState.FAILED, "AGENT_LOST", "lost", T0));
    Run reported = insert(queued("run_2", "mach_a", Priority.NORMAL, T0));
    claimOn(reported, "mach_a", "bot_a2");
    apply(finished("mach_a", "run_2", 1, RunState.FAILED));

    assertThat(
            tx.inTransaction(
                () ->
                    runs.recordLateResult(finished("mach_b", "run_1", 1, RunState.SUCCEEDED), T0)))
        .isFalse();
    assertThat(
            tx.inTransaction(
                () ->
                    runs.recordLateResult(finished("mach_a", "run_2", 1, RunState.SUCCEEDED), T0)))
        .isFalse();
    assertThat(find("run_1").lateResult()).isNull();
    assertThat(find("run_2").lateResult()).isNull();
  }

  // ------------------------------------------------------------------ R7 cancel

  @Test
  void r7_cancel_requests_are_found_for_the_machines_asked_about() {
    Run a = insert(queued("run_1", "mach_a", Priority.NORMAL, T0));
    Run b = insert(queued("run_2", "mach_b", Priority.NORMAL, T0));
    claimOn(a, "mach_a", "bot_a1");
    claimOn(b, "mach_b", "bot_b1");
    tx.run(() -> runs.requestCancel("run_1"));
    tx.run(() -> runs.requestCancel("run_2"));

    assertThat(tx.inTransaction(() -> runs.cancelRequested(List.of("mach_a"))))
        .extracting(Run::id)
        .containsExactly("run_1");
    assertThat(find("run_1").cancelRequested()).isTrue();
  }

  // ------------------------------------------------------------------ issue 9: the queue table

  /** What the dispatcher and the queue metrics see of a target's queue. */
  private List<String> queueOf(String target) {
    return tx.inTransaction(() -> runs.queuedFor(Map.of(target, 100))).stream()
        .map(Run::id)
        .toList();
  }

  @Test
  void issue_9_a_run_is_in_the_queue_exactly_while_it_is_queued() {
    Run first = insert(queued("run_1", "mach_a", Priority.NORMAL, T0, null, true));
    Run second = insert(queued("run_2", "mach_a", Priority.NORMAL, T0.plusSeconds(1)));
    insert(queued("run_3", "mach_a", Priority.NORMAL, T0.plusSeconds(2)));
    assertThat(queueOf("mach_a")).containsExactly("run_1", "run_2", "run_3");

    // Claimed: out of the queue; the runs behind it move up (R3).
    claimOn(first, "mach_a", "bot_a1");
    assertThat(queueOf("mach_a")).containsExactly("run_2", "run_3");
    assertThat(tx.inTransaction(() -> runs.aheadOf(find("run_3")))).isEqualTo(1);

    // A claim that loses the bot (R2) leaves the run where it was.
    assertThat(claim(new Claim(second, "mach_a", "bot_a1", 1))).isEmpty();
    assertThat(queueOf("mach_a")).containsExactly("run_2", "run_3");

    // Re-queued (R5): back in its place by submission time, ahead of the others.
    assertThat(tx.inTransaction(() -> runs.requeue("run_1", 1, "mach_a", "lease expired")))
        .isTrue();
    assertThat(queueOf("mach_a")).containsExactly("run_1", "run_2", "run_3");
    assertThat(tx.inTransaction(runs::queueDepthByTarget)).containsEntry("mach_a", 3L);

    // Ended while queued (R4, R7): out of the queue, and no longer found past its deadline.
    assertThat(
            tx.inTransaction(
                () -> runs.end("run_2", 0, RunState.CANCELLED, "CANCELLED_BY_USER", "x", T0)))
        .isTrue();
    assertThat(queueOf("mach_a")).containsExactly("run_1", "run_3");
    assertThat(tx.inTransaction(() -> runs.expiredQueue(T0.plus(Duration.ofDays(1)))))
        .extracting(Run::id)
        .containsExactlyInAnyOrder("run_1", "run_3");

    // Claimed again and finished: the queue is empty, the history keeps the runs.
    Claim again = claimOn(find("run_1"), "mach_a", "bot_a2");
    apply(finished("mach_a", "run_1", again.attempt(), RunState.SUCCEEDED));
    assertThat(queueOf("mach_a")).containsExactly("run_3");
    assertThat(tx.inTransaction(runs::countByState))
        .containsEntry(RunState.SUCCEEDED, 1L)
        .containsEntry(RunState.CANCELLED, 1L)
        .containsEntry(RunState.QUEUED, 1L);
  }

  @Test
  void issue_9_a_pass_over_more_targets_and_runs_than_one_statement_reads_takes_them_all() {
    // 70 targets (more than the 64 sub-selects of one statement), 3 runs each, 2 per target asked.
    Map<String, Integer> limits = new java.util.HashMap<>();
    tx.run(
        () -> {
          for (int t = 0; t < 70; t++) {
            String target = "grp_" + t;
            limits.put(target, 2);
            List<Run> three = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
              three.add(queued("run_" + t + "_" + i, target, Priority.NORMAL, T0.plusSeconds(i)));
            }
            assertThat(runs.insertAll(three)).containsOnly(true);
          }
        });

    List<Run> pass = tx.inTransaction(() -> runs.queuedFor(limits));

    assertThat(pass).hasSize(140);
    assertThat(pass)
        .extracting(Run::id)
        .allMatch(id -> !id.endsWith("_2"), "the third run of each target waits (R3, R9)");
    assertThat(tx.inTransaction(() -> runs.queuedFor(Map.of("grp_5", 1))))
        .extracting(Run::id)
        .containsExactly("run_5_0");
  }
}
