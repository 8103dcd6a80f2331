package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What the run's own agent reported after the orchestrator had already ended the run without it
 * (AGENT_LOST, or the run-time-out backstop). It does not change the run's state — the run ended
 * and others may have acted on that — but it tells an operator the work did in fact finish, so they
 * do not re-run something that succeeded. {@code exitCode} and {@code endedAt} may be null.
 */
public record LateResult(RunState outcome, Integer exitCode, Instant endedAt, Instant reportedAt) {
  public LateResult {
    requireNonNull(outcome, "outcome");
    requireNonNull(reportedAt, "reportedAt");
  }
}
