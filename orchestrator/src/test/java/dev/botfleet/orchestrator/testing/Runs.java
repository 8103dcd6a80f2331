package dev.botfleet.orchestrator.testing;

import dev.botfleet.orchestrator.runs.Priority;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunState;
import dev.botfleet.orchestrator.runs.RunTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** Runs as the repository stores them on submission, for repository-level tests. */
public final class Runs {
  private Runs() {}

  /** A QUEUED run of flow {@code noop} for one machine, with the default time-outs (R10). */
  public static Run queued(
      String id,
      String environmentId,
      String machineId,
      Priority priority,
      Map<String, String> inputs,
      Instant submittedAt,
      String key,
      boolean retryable) {
    return new Run(
        id,
        environmentId,
        "noop",
        new RunTarget(RunTarget.Kind.MACHINE, machineId),
        priority,
        inputs,
        null,
        Duration.ofHours(6),
        Duration.ofHours(24),
        retryable,
        key,
        RunState.QUEUED,
        null,
        null,
        0,
        submittedAt,
        submittedAt.plus(Duration.ofHours(6)),
        null,
        null,
        null,
        null,
        Map.of(),
        "",
        null,
        null,
        false,
        "admin",
        null);
  }
}
