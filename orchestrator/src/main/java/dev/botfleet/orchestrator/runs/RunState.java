package dev.botfleet.orchestrator.runs;

/** R5 life cycle. */
public enum RunState {
  QUEUED,
  ASSIGNED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  TIMED_OUT;

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == TIMED_OUT;
  }

  /** Holding a bot. */
  public boolean active() {
    return this == ASSIGNED || this == RUNNING;
  }
}
