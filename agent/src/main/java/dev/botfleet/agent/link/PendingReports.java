package dev.botfleet.agent.link;

import dev.botfleet.proto.v1.RunUpdate;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Final run reports the orchestrator has not acknowledged yet (SPEC A6). A finished {@link
 * RunUpdate} is put here before it is sent, re-sent after every (re)connect, and removed when its
 * {@code ReportAck} arrives. One report per run id: a newer one replaces the older.
 *
 * <p>Implementations are thread-safe.
 */
public interface PendingReports {

  /**
   * Reports kept as files {@code <dir>/<run_id>.pb} (serialized {@link RunUpdate}, written via a
   * temp file and a move), so they survive an agent restart. Loads the reports already there.
   */
  static PendingReports inDirectory(Path dir) {
    return new DiskPendingReports(dir);
  }

  /** Reports kept in memory only (the fleet simulator). */
  static PendingReports inMemory() {
    return new MemoryPendingReports();
  }

  /**
   * Keeps {@code finished} until {@link #remove} is called with its run id.
   *
   * @throws IllegalArgumentException when it is not a finished update with a run id
   */
  void put(RunUpdate finished);

  /** Forgets the report of {@code runId}. @return whether there was one */
  boolean remove(String runId);

  Optional<RunUpdate> get(String runId);

  /** Every pending report, oldest first. */
  List<RunUpdate> all();

  int size();

  static void check(RunUpdate finished) {
    if (!finished.hasFinished()) {
      throw new IllegalArgumentException(
          "report of run '" + finished.getRunId() + "': no finished event (expected: a final one)");
    }
    if (finished.getRunId().isEmpty()) {
      throw new IllegalArgumentException("report: empty run_id (expected: the run's id)");
    }
  }
}
