package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.proto.v1.RunUpdate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link PendingReports} in memory, insertion order. */
final class MemoryPendingReports implements PendingReports {
  private final Map<String, RunUpdate> reports = new LinkedHashMap<>(); // guarded by this

  @Override
  public synchronized void put(RunUpdate finished) {
    PendingReports.check(requireNonNull(finished, "finished"));
    reports.remove(finished.getRunId());
    reports.put(finished.getRunId(), finished);
  }

  @Override
  public synchronized boolean remove(String runId) {
    return reports.remove(requireNonNull(runId, "runId")) != null;
  }

  @Override
  public synchronized Optional<RunUpdate> get(String runId) {
    return Optional.ofNullable(reports.get(requireNonNull(runId, "runId")));
  }

  @Override
  public synchronized List<RunUpdate> all() {
    return List.copyOf(reports.values());
  }

  @Override
  public synchronized int size() {
    return reports.size();
  }
}
