package dev.botfleet.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Faster JVM starts for the many orchestrator and agent processes of the suite: the first JVM of
 * each main class writes a dynamic class-data archive when it exits normally ({@code
 * -XX:ArchiveClassesAtExit}); later ones map it ({@code -XX:SharedArchiveFile}), which roughly
 * halves their start-up on this 2-core machine. Purely an optimisation: a JVM that cannot use the
 * archive starts without it.
 */
public final class ClassData {
  /** The archive a JVM writes to {@code partial}; it becomes {@code archive} once complete. */
  public record Dump(String mainClass, Path partial, Path archive) {}

  private static final Map<String, Path> archives = new HashMap<>();
  private static final Map<String, Dump> dumping = new HashMap<>();

  private ClassData() {}

  /** Adds the archive options for a JVM of {@code mainClass}; the dump it is to write, or null. */
  static synchronized Dump options(String mainClass, List<String> command) {
    Path archive = archives.get(mainClass);
    if (archive != null) {
      command.add("-XX:SharedArchiveFile=" + archive);
      return null;
    }
    if (dumping.containsKey(mainClass)) {
      return null;
    }
    Path dir = Processes.snapshotDir().resolve("cds");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      return null;
    }
    String name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
    Dump dump = new Dump(mainClass, dir.resolve(name + ".jsa.partial"), dir.resolve(name + ".jsa"));
    dumping.put(mainClass, dump);
    command.add("-XX:ArchiveClassesAtExit=" + dump.partial());
    return dump;
  }

  /** A JVM ended: if it wrote its archive, later JVMs use it; if not, the next one tries. */
  static synchronized void ended(Processes.Proc p) {
    Dump dump = p.dump;
    if (dump == null || p.alive() || dumping.get(dump.mainClass()) != dump) {
      return;
    }
    dumping.remove(dump.mainClass());
    try {
      // 137: SIGKILL, possibly in the middle of writing.
      if (p.process.exitValue() != 137
          && Files.isRegularFile(dump.partial())
          && Files.size(dump.partial()) > 0) {
        Files.move(dump.partial(), dump.archive(), StandardCopyOption.REPLACE_EXISTING);
        archives.put(dump.mainClass(), dump.archive());
      }
    } catch (IOException e) {
      // start the next JVMs without an archive
    }
  }
}
