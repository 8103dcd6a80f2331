package dev.botfleet.agent.exec;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletableFuture;

/** A run started by {@link FlowRunner#start}: cancel it (SPEC R7) or wait for its result. */
public final class RunHandle {
  private final String runId;
  private final CompletableFuture<RunResult> result = new CompletableFuture<>();
  // Completed with the reason when cancellation is requested; the run's thread does the killing.
  private final CompletableFuture<String> cancelRequest = new CompletableFuture<>();

  RunHandle(String runId) {
    this.runId = requireNonNull(runId, "runId");
  }

  public String runId() {
    return runId;
  }

  /**
   * Asks the run to stop: the flow's process tree is killed and the run ends {@code CANCELLED}, or
   * it never starts if it had not yet. A no-op once the run has finished.
   *
   * @return whether this call requested cancellation; {@code false} when the run had already
   *     finished or was already being cancelled. The run may still end otherwise if it finished at
   *     the same moment: {@link #result()} tells.
   */
  public boolean cancel() {
    return cancel("cancelled on request");
  }

  boolean cancel(String reason) {
    if (result.isDone()) {
      return false;
    }
    return cancelRequest.complete(reason);
  }

  /**
   * Completes, never exceptionally, when the run has ended. Cancelling this future does nothing.
   */
  public CompletableFuture<RunResult> result() {
    return result.copy();
  }

  public boolean isDone() {
    return result.isDone();
  }

  CompletableFuture<String> cancelRequest() {
    return cancelRequest;
  }

  void complete(RunResult runResult) {
    result.complete(runResult);
  }

  @Override
  public String toString() {
    return "RunHandle[" + runId + (isDone() ? ", done]" : ", running]");
  }
}
