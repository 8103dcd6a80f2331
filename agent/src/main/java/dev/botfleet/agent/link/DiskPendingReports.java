package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.botfleet.common.Tokens;
import dev.botfleet.proto.v1.RunUpdate;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PendingReports} as one file per run, {@code <dir>/<run_id>.pb}, mirrored in memory. A run
 * id that is not a safe file name is stored as {@code h-<sha256>.pb}; the file's content names the
 * run either way. A file that cannot be parsed is renamed {@code *.corrupt} and logged, never
 * silently dropped.
 */
final class DiskPendingReports implements PendingReports {
  private static final Logger log = LoggerFactory.getLogger(DiskPendingReports.class);
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-]{1,100}");
  static final String SUFFIX = ".pb";

  private final Path dir;
  private final Map<String, RunUpdate> reports = new LinkedHashMap<>(); // guarded by this

  DiskPendingReports(Path dir) {
    this.dir = requireNonNull(dir, "dir").toAbsolutePath().normalize();
    try {
      MachineCredential.createPrivateDirectories(this.dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create pending reports directory " + this.dir, e);
    }
    load();
  }

  static String fileName(String runId) {
    return (SAFE.matcher(runId).matches() ? runId : "h-" + Tokens.hash(runId)) + SUFFIX;
  }

  private void load() {
    List<RunUpdate> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.endsWith(".tmp")) {
          Files.deleteIfExists(file); // a write that did not reach its move
          continue;
        }
        if (!name.endsWith(SUFFIX)) {
          continue;
        }
        try {
          RunUpdate update = RunUpdate.parseFrom(Files.readAllBytes(file));
          PendingReports.check(update);
          found.add(update);
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
          Path aside = file.resolveSibling(name + ".corrupt");
          MachineCredential.moveAtomically(file, aside);
          log.error(
              "event=pending_report_unreadable file={} moved_to={} error=\"{}\"",
              file,
              aside,
              e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read pending reports in " + dir, e);
    }
    found.sort(Comparator.comparing(u -> seconds(u.getFinished().getEndedAt())));
    synchronized (this) {
      found.forEach(u -> reports.put(u.getRunId(), u));
    }
    if (!found.isEmpty()) {
      log.info("event=pending_reports_loaded count={} dir={}", found.size(), dir);
    }
  }

  private static double seconds(Timestamp t) {
    return t.getSeconds() + t.getNanos() / 1e9;
  }

  /**
   * Writes the file, then remembers the report. When the file cannot be written the report is still
   * kept in memory (and sent), and the failure logged: losing durability beats losing the report.
   */
  @Override
  public synchronized void put(RunUpdate finished) {
    PendingReports.check(requireNonNull(finished, "finished"));
    String runId = finished.getRunId();
    Path file = dir.resolve(fileName(runId));
    try {
      Path temp = MachineCredential.createPrivateTempFile(dir, ".report-", ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(temp)) {
          finished.writeTo(out);
        }
        MachineCredential.moveAtomically(temp, file);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      log.error("event=pending_report_not_persisted run={} file={} error=\"{}\"", runId, file, e);
    }
    reports.remove(runId);
    reports.put(runId, finished);
  }

  @Override
  public synchronized boolean remove(String runId) {
    requireNonNull(runId, "runId");
    Path file = dir.resolve(fileName(runId));
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.error("event=pending_report_not_deleted run={} file={} error=\"{}\"", runId, file, e);
    }
    return reports.remove(runId) != null;
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

  @Override
  public String toString() {
    return "DiskPendingReports[" + dir + ", " + size() + " pending]";
  }
}
