package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assignments this agent accepted and has not finished (SPEC R5, issue 9 "exactly once"): an
 * entry is written before the agent acknowledges an {@code Assign} and removed once the run's final
 * report is in {@link PendingReports}, so at every moment an accepted run is in one of the two.
 *
 * <p>That is what lets the orchestrator trust a Hello: a durable agent names every run it holds, so
 * a run it does not name was never taken and may go back to the queue even when its flow is not
 * retryable. An agent that restarts finds its interrupted runs here and reports them lost instead
 * of forgetting them (the flow may have run in part; running it again is the orchestrator's call).
 */
interface AssignmentJournal {

  /** One file per run under {@code dir}, written through a temp file and an atomic move. */
  static AssignmentJournal inDirectory(Path dir) {
    return new Disk(dir);
  }

  /** Nothing is kept (the fleet simulator): a restart forgets every run, so Hello says so. */
  static AssignmentJournal none() {
    return new Memory();
  }

  /** Whether entries survive a restart of the agent (Hello.durable_assignments). */
  boolean durable();

  /** Records that the agent took attempt {@code attempt} of {@code runId}; before the ack. */
  void accepted(String runId, int attempt);

  /** Records the flow process of an accepted run, so a restarted agent can stop it. */
  void process(String runId, ProcessHandle process);

  /** Forgets the run: its final report is pending (or it was never started). */
  void done(String runId);

  /** Entries found at start, by run id. */
  Map<String, Entry> interrupted();

  /** An accepted run: its attempt and, once started, its process id and start time. */
  record Entry(int attempt, long pid, java.time.Instant processStart) {}

  /** In memory only. */
  final class Memory implements AssignmentJournal {
    @Override
    public boolean durable() {
      return false;
    }

    @Override
    public void accepted(String runId, int attempt) {}

    @Override
    public void process(String runId, ProcessHandle process) {}

    @Override
    public void done(String runId) {}

    @Override
    public Map<String, Entry> interrupted() {
      return Map.of();
    }
  }

  /**
   * Files {@code <dir>/<run file name>.assigned}: the attempt, the run id, then (once started) the
   * process id and its start in epoch milliseconds, one per line.
   */
  final class Disk implements AssignmentJournal {
    private static final Logger log = LoggerFactory.getLogger(AssignmentJournal.class);
    private static final String SUFFIX = ".assigned";

    private final Path dir;
    private final Map<String, Entry> interrupted = new LinkedHashMap<>();
    private final Map<String, Integer> attempts = new java.util.HashMap<>();

    Disk(Path dir) {
      this.dir = requireNonNull(dir, "dir").toAbsolutePath().normalize();
      try {
        PrivateFiles.createDirectories(this.dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create assignment journal " + this.dir, e);
      }
      load();
    }

    private void load() {
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
          String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n");
          try {
            String runId = lines[1].strip();
            long pid = lines.length > 3 ? Long.parseLong(lines[2].strip()) : 0;
            java.time.Instant start =
                lines.length > 3
                    ? java.time.Instant.ofEpochMilli(Long.parseLong(lines[3].strip()))
                    : null;
            interrupted.put(runId, new Entry(Integer.parseInt(lines[0].strip()), pid, start));
          } catch (RuntimeException e) {
            log.error("event=assignment_journal_unreadable file={} error=\"{}\"", file, e);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read assignment journal " + dir, e);
      }
    }

    @Override
    public boolean durable() {
      return true;
    }

    @Override
    public synchronized void accepted(String runId, int attempt) {
      attempts.put(runId, attempt);
      write(runId, attempt + "\n" + runId + "\n");
    }

    @Override
    public synchronized void process(String runId, ProcessHandle process) {
      Integer attempt = attempts.get(runId);
      if (attempt == null) {
        return;
      }
      long start = process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
      write(runId, attempt + "\n" + runId + "\n" + process.pid() + "\n" + start + "\n");
    }

    private void write(String runId, String text) {
      Path file = dir.resolve(name(runId));
      try {
        Path temp = PrivateFiles.createTempFile(dir, ".assign-", ".tmp");
        try {
          Files.writeString(temp, text, StandardCharsets.UTF_8);
          PrivateFiles.moveAtomically(temp, file);
        } finally {
          Files.deleteIfExists(temp);
        }
      } catch (IOException e) {
        // Refusing the run would be safer for this one, but a full disk would then refuse every
        // run; the entry is missing only if the agent also dies before the run's report is pending.
        log.error("event=assignment_not_journaled run={} file={} error=\"{}\"", runId, file, e);
      }
    }

    @Override
    public synchronized void done(String runId) {
      attempts.remove(runId);
      try {
        Files.deleteIfExists(dir.resolve(name(runId)));
      } catch (IOException e) {
        log.error("event=assignment_journal_not_deleted run={} error=\"{}\"", runId, e);
      }
    }

    @Override
    public synchronized Map<String, Entry> interrupted() {
      return Map.copyOf(interrupted);
    }

    private static String name(String runId) {
      String pending = DiskPendingReports.fileName(runId);
      return pending.substring(0, pending.length() - DiskPendingReports.SUFFIX.length()) + SUFFIX;
    }
  }
}
