package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.RateLimitedLog;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges an agent message about a run (started, finished, assignment refused) that changed nothing:
 * a harmless repeat (A6 re-sends a result whose acknowledgement was lost), or a refusal — the run
 * is not assigned to the sending machine in that attempt (issue 7: an agent can never report for
 * another machine's run). Refusals are counted ({@link RunEvents#reportRefused}) and logged at most
 * once per machine per interval, so a flood from one agent cannot flood the log.
 */
public final class AgentReportFence {
  private static final Logger log = LoggerFactory.getLogger(AgentReportFence.class);

  /** Why a message about a run was not applied; the metric's {@code reason} tag. */
  public enum Refusal {
    /** No such run. */
    UNKNOWN_RUN,
    /** The run is not (or no longer) assigned to the sending machine. */
    NOT_ASSIGNED,
    /** The sending machine holds the run, but in another attempt than the message names. */
    STALE_ATTEMPT,
    /** The run is on that machine and attempt, but no longer in a state the message can move. */
    NOT_ACTIVE
  }

  private final RateLimitedLog refusals;
  private final Supplier<RunEvents> events;

  public AgentReportFence(Duration logEvery, Supplier<RunEvents> events) {
    this.refusals = new RateLimitedLog(log, logEvery.toNanos(), TimeUnit.NANOSECONDS);
    this.events = requireNonNull(events, "events");
  }

  /**
   * The refusal for a message that changed nothing, or empty when it repeats one already applied.
   */
  public static Optional<Refusal> judge(
      Optional<Run> found, String machineId, int attempt, boolean finished) {
    if (found.isEmpty()) {
      return Optional.of(Refusal.UNKNOWN_RUN);
    }
    Run run = found.get();
    if (!machineId.equals(run.machineId())) {
      return Optional.of(Refusal.NOT_ASSIGNED);
    }
    if (run.attempt() != attempt) {
      return Optional.of(Refusal.STALE_ATTEMPT);
    }
    // Same machine and attempt: a start after the run started or ended, or a result after the run
    // ended (the agent's own result re-sent, or one kept as a LateResult), is this machine's own
    // history repeating, not a forgery.
    if (run.state().terminal() || !finished && run.state() == RunState.RUNNING) {
      return Optional.empty();
    }
    return Optional.of(Refusal.NOT_ACTIVE);
  }

  /** Counts and (rate-limited) logs a refused message. */
  public void refused(Refusal why, String machineId, String runId, int attempt, String what) {
    try {
      events.get().reportRefused(machineId, why);
    } catch (RuntimeException e) {
      log.debug("event=report_refused_metric_failed error={}", e.toString());
    }
    // One window per machine: a flood from one agent cannot hide another's refusals.
    refusals.warn(
        "agent_report_refused/" + machineId,
        "agent_report_refused",
        "machine="
            + machineId
            + " run="
            + runId
            + " attempt="
            + attempt
            + " message="
            + what
            + " reason="
            + why);
  }
}
