package dev.botfleet.agent.exec;

import java.time.Instant;

/**
 * Hears about one run's progress. Called on the runner's threads: implementations must be quick and
 * must not block (hand work to another executor). Exceptions are logged and otherwise ignored.
 */
public interface RunListener {
  /** A listener that ignores everything. */
  RunListener NONE = new RunListener() {};

  /**
   * The flow's process exists (called before {@link #onStarted}): an agent that dies while it runs
   * can find it again after a restart and stop it (R5: a lost run must not go on unsupervised).
   */
  default void onProcess(String runId, ProcessHandle process) {}

  /** The flow's process started; not called when the run fails before starting one. */
  default void onStarted(String runId, Instant startedAt) {}

  /** The run ended; called exactly once per run, after {@link #onStarted} if that was called. */
  default void onFinished(RunResult result) {}
}
