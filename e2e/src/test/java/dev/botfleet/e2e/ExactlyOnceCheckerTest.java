package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.e2e.ExactlyOnceChecker.AckedReport;
import dev.botfleet.e2e.ExactlyOnceChecker.Check;
import dev.botfleet.e2e.ExactlyOnceChecker.Execution;
import dev.botfleet.e2e.ExactlyOnceChecker.Input;
import dev.botfleet.e2e.ExactlyOnceChecker.RunRecord;
import dev.botfleet.e2e.ExactlyOnceChecker.Submitted;
import dev.botfleet.e2e.ExactlyOnceChecker.Violation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker of the fault-injection test (issue 9) on crafted input: a clean history passes, and
 * each kind of violation is caught, so a green fault run means something.
 */
class ExactlyOnceCheckerTest {
  static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
  static final long NS0 = T0.getEpochSecond() * 1_000_000_000L;

  /** Two machines of 2 bots; r1 (non-retryable) and r2 (retryable, re-run once) ran cleanly. */
  static final class History {
    List<Submitted> submitted =
        new ArrayList<>(List.of(new Submitted("k1", "r1", false), new Submitted("k2", "r2", true)));
    List<String> unacknowledged = new ArrayList<>();
    List<RunRecord> runs =
        new ArrayList<>(
            List.of(
                run("r1", "SUCCEEDED", 1, "m1", "b1", 0, 2000, null),
                run("r2", "SUCCEEDED", 2, "m2", "b3", 5000, 7000, null)));
    List<RunRecord> later = null; // same as runs unless set
    List<Execution> executions =
        new ArrayList<>(
            List.of(
                exec("r1", "m1", 10, 0, 2000L),
                exec("r2", "m1", 11, 1000, 3000L), // attempt 1, lost with its agent
                exec("r2", "m2", 12, 5000, 7000L)));
    List<AckedReport> acked =
        new ArrayList<>(
            List.of(
                new AckedReport("m1", "r1", 1, "SUCCEEDED"),
                new AckedReport("m1", "r2", 1, "SUCCEEDED"), // stale attempt: fenced off
                new AckedReport("m2", "r2", 2, "SUCCEEDED")));
    Map<String, List<String>> pending = Map.of("m1", List.of(), "m2", List.of());

    List<Violation> check() {
      return ExactlyOnceChecker.check(
          new Input(
              submitted,
              unacknowledged,
              runs,
              later == null ? runs : later,
              executions,
              acked,
              pending,
              Map.of("m1", 2, "m2", 2)));
    }
  }

  static RunRecord run(
      String id,
      String state,
      int attempt,
      String machine,
      String bot,
      long startMs,
      long endMs,
      String late) {
    return new RunRecord(
        id,
        state,
        attempt,
        machine,
        bot,
        T0.plusMillis(startMs),
        endMs < 0 ? null : T0.plusMillis(endMs),
        late);
  }

  static Execution exec(String run, String machine, long pid, long startMs, Long endMs) {
    return new Execution(
        run,
        machine,
        pid,
        NS0 + startMs * 1_000_000L,
        endMs == null ? null : NS0 + endMs * 1_000_000L);
  }

  static List<Check> checks(List<Violation> vs) {
    return vs.stream().map(Violation::check).distinct().toList();
  }

  @Test
  void a_clean_history_passes() {
    assertThat(new History().check()).isEmpty();
  }

  @Test
  void r5_a_run_left_queued_or_running_is_caught() {
    History h = new History();
    h.runs.set(0, run("r1", "RUNNING", 1, "m1", "b1", 0, -1, null));
    assertThat(h.check())
        .extracting(Violation::check, Violation::subject)
        .contains(org.assertj.core.groups.Tuple.tuple(Check.ENDED_EXACTLY_ONCE, "r1"));
  }

  @Test
  void r5_a_run_that_changes_after_it_ended_is_caught() {
    History h = new History();
    h.later = new ArrayList<>(h.runs);
    h.later.set(0, run("r1", "SUCCEEDED", 1, "m1", "b1", 0, 2500, null)); // ended again
    assertThat(h.check())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.check()).isEqualTo(Check.ENDED_EXACTLY_ONCE);
              assertThat(v.detail()).contains("changed after it ended");
            });
  }

  @Test
  void r6_a_lost_submission_a_duplicate_run_and_an_unknown_run_are_caught() {
    History h = new History();
    h.runs.remove(1); // r2 acknowledged but gone
    h.runs.add(run("r9", "SUCCEEDED", 1, "m2", "b4", 9000, 9500, null)); // nobody submitted it
    h.unacknowledged.add("k3");
    h.submitted.add(new Submitted("k4", "r1", false)); // two keys, one run
    assertThat(h.check())
        .filteredOn(v -> v.check() == Check.ENDED_EXACTLY_ONCE)
        .extracting(Violation::subject)
        .contains("r2", "r9", "k3", "r1");
  }

  @Test
  void a_succeeded_run_whose_flow_never_completed_is_caught() {
    History h = new History();
    h.executions.set(0, exec("r1", "m1", 10, 0, null));
    assertThat(h.check())
        .anySatisfy(
            v -> {
              assertThat(v.check()).isEqualTo(Check.ENDED_EXACTLY_ONCE);
              assertThat(v.detail()).contains("never completed");
            });
  }

  @Test
  void r5_a_non_retryable_run_executed_twice_is_caught() {
    History h = new History();
    h.executions.add(exec("r1", "m2", 20, 3000, 4000L));
    List<Violation> vs = h.check();
    assertThat(checks(vs))
        .containsExactly(Check.NON_RETRYABLE_EXECUTED_TWICE, Check.EXECUTED_MORE_THAN_ASSIGNED);
    assertThat(vs.get(0).subject()).isEqualTo("r1");
    assertThat(vs.get(0).detail()).contains("executed 2 times", "pid 10 on m1", "pid 20 on m2");
  }

  @Test
  void r5_a_retryable_run_executed_twice_in_one_attempt_is_caught() {
    History h = new History();
    h.executions.add(exec("r2", "m2", 13, 8000, 9000L)); // three executions, two attempts
    assertThat(h.check())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.check()).isEqualTo(Check.EXECUTED_MORE_THAN_ASSIGNED);
              assertThat(v.subject()).isEqualTo("r2");
            });
  }

  @Test
  void r2_a_bot_holding_two_runs_in_the_run_records_is_caught() {
    History h = new History();
    h.runs.set(1, run("r2", "SUCCEEDED", 2, "m1", "b1", 1500, 3000, null));
    h.executions.set(2, exec("r2", "m1", 12, 1500, 3000L));
    h.executions.remove(1);
    assertThat(h.check())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.check()).isEqualTo(Check.BOT_HELD_TWO_RUNS);
              assertThat(v.detail()).contains("bot b1", "r1");
            });
  }

  @Test
  void r2_a_machine_running_more_flows_than_bots_is_caught() {
    History h = new History();
    // m1 has 2 bots; r1, r2 (attempt 1) and an orphan of a third run overlap at 1.5 s.
    h.submitted.add(new Submitted("k3", "r3", true));
    h.runs.add(run("r3", "SUCCEEDED", 1, "m2", "b4", 10_000, 11_000, null));
    h.executions.add(exec("r3", "m1", 30, 1200, 1800L));
    h.executions.add(exec("r3", "m2", 31, 10_000, 11_000L));
    h.runs.set(2, run("r3", "SUCCEEDED", 2, "m2", "b4", 10_000, 11_000, null));
    assertThat(h.check())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.check()).isEqualTo(Check.BOT_HELD_TWO_RUNS);
              assertThat(v.detail()).contains("m1 ran 3 flows at once with 2 bots");
            });
  }

  @Test
  void back_to_back_runs_on_one_bot_are_fine() {
    History h = new History();
    h.runs.set(1, run("r2", "SUCCEEDED", 2, "m1", "b1", 2000, 3000, null));
    h.executions.set(2, exec("r2", "m1", 12, 2000, 3000L));
    h.executions.remove(1);
    assertThat(h.check()).isEmpty();
  }

  @Test
  void a6_an_acknowledged_report_that_is_not_the_stored_outcome_is_caught() {
    History h = new History();
    h.runs.set(0, run("r1", "FAILED", 1, "m1", "b1", 0, 2000, null)); // AGENT_LOST, say
    assertThat(h.check())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.check()).isEqualTo(Check.ACKED_REPORT_STORED);
              assertThat(v.detail()).contains("SUCCEEDED report", "stored FAILED");
            });
    // Kept as the late outcome (R5), it is stored.
    h.runs.set(0, run("r1", "FAILED", 1, "m1", "b1", 0, 2000, "SUCCEEDED"));
    assertThat(h.check()).isEmpty();
  }

  @Test
  void a6_a_report_never_acknowledged_is_caught() {
    History h = new History();
    h.pending = Map.of("m1", List.of("r1"), "m2", List.of());
    assertThat(h.check())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.check()).isEqualTo(Check.ACKED_REPORT_STORED);
              assertThat(v.detail()).contains("never acknowledged");
            });
  }

  @Test
  void ledger_lines_pair_into_executions() {
    List<Execution> e =
        ExactlyOnceChecker.parseLedger(
            List.of(
                "start r1 - m1 100 1000",
                "start r2 - m1 101 1100",
                "end r1 - m1 100 2000",
                "start r1 - m2 200 3000",
                "end r1 - m2 200 40", // torn below
                "end r1 - m2"));
    assertThat(e)
        .containsExactlyInAnyOrder(
            new Execution("r1", "m1", 100, 1000, 2000L),
            new Execution("r1", "m2", 200, 3000, 40L),
            new Execution("r2", "m1", 101, 1100, null));
  }

  @Test
  void agent_logs_give_the_acknowledged_reports_with_their_outcome() {
    List<AckedReport> a =
        ExactlyOnceChecker.parseAgentLogs(
            "m1",
            List.of(
                "2026-12-01T12:00:00.000Z INFO Assignments - event=run_finished machine=x run=r1"
                    + " attempt=2 outcome=SUCCEEDED exit_code=0 reason=\"\" report=pending",
                "2026-12-01T12:00:01.000Z DEBUG Assignments - event=report_acked machine=x run=r1"
                    + " was_pending=true",
                "2026-12-01T12:00:01.000Z DEBUG Assignments - event=report_acked machine=x run=r1"
                    + " was_pending=false"));
    assertThat(a).containsExactly(new AckedReport("m1", "r1", 2, "SUCCEEDED"));
  }
}
