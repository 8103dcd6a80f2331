package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.agent.exec.RunResult;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.RunFinished;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 7: a report the agent sends stays within the orchestrator's stream bounds (docs/limits.md),
 * since one over them would close the stream and be re-sent for ever (A6).
 */
class MessagesBoundsTest {
  static RunResult result(Map<String, String> outputs, String log, String message) {
    Instant t = Instant.parse("2026-01-05T09:00:00Z");
    return new RunResult(
        "run_1",
        RunResult.Outcome.FAILED,
        3,
        outputs,
        log,
        t,
        t.plusSeconds(1),
        "EXIT_CODE_3",
        message);
  }

  @Test
  void issue_8_failure_codes_travel_as_the_closed_set_with_details_in_the_message() {
    RunFinished exit = Messages.finished(result(Map.of(), "", "failed"), 1).getFinished();
    assertThat(exit.getFailureReason()).isEqualTo(RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE);
    assertThat(exit.getExitCode()).isEqualTo(3);
    assertThat(exit.getMessage()).isEqualTo("failed");

    Instant t = Instant.parse("2026-01-05T09:00:00Z");
    RunResult refused =
        new RunResult(
            "run_2",
            RunResult.Outcome.FAILED,
            null,
            Map.of(),
            "",
            null,
            t,
            "INVALID_FLOW_NAME: ../x",
            "nothing was run");
    RunFinished other = Messages.finished(refused, 1).getFinished();
    assertThat(other.getFailureReason()).isEqualTo(RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR);
    assertThat(other.getMessage()).isEqualTo("INVALID_FLOW_NAME: ../x; nothing was run");

    assertThat(Messages.failureReason("CANCELLED"))
        .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_CANCELLED_ON_AGENT);
    assertThat(Messages.failureReason("TIMED_OUT"))
        .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_RUN_TIMEOUT);
    assertThat(Messages.failureReason(null))
        .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED);
  }

  @Test
  void issue_7_a_long_log_tail_keeps_its_end_within_the_bound() {
    String log = "x".repeat(300_000) + "the end";
    RunFinished f = Messages.finished(result(Map.of(), log, "failed"), 1).getFinished();
    assertThat(f.getLogTail()).hasSize(Messages.MAX_LOG_TAIL).endsWith("the end");
  }

  @Test
  void issue_7_outputs_over_the_bounds_are_dropped_with_a_note() {
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 1001; i++) {
      many.put("k" + i, "v");
    }
    RunFinished f = Messages.finished(result(many, "", "failed"), 1).getFinished();
    assertThat(f.getOutputsMap()).isEmpty();
    assertThat(f.getMessage()).startsWith("failed; outputs dropped: 1001 entries");

    RunFinished big =
        Messages.finished(result(Map.of("report", "y".repeat(70_000)), "", "failed"), 1)
            .getFinished();
    assertThat(big.getOutputsMap()).isEmpty();
    assertThat(big.getMessage()).contains("outputs dropped: 'report' holds 70000 characters");
  }

  @Test
  void issue_7_outputs_and_message_within_the_bounds_go_as_they_are() {
    RunFinished f =
        Messages.finished(result(Map.of("a", "1"), "log", "m".repeat(20_000)), 1).getFinished();
    assertThat(f.getOutputsMap()).containsEntry("a", "1");
    assertThat(f.getMessage()).hasSize(Messages.MAX_MESSAGE);
  }
}
