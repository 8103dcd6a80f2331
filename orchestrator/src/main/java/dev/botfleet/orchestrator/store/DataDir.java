package dev.botfleet.orchestrator.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's data dir holds the database, the admin token and the ports file: only the server's
 * user may read it (issue 12 §2). The dir is created {@code 0700}, the database files are {@code
 * 0600}. On a file system without POSIX permissions (Windows) the dir's ACL is left to the
 * installer.
 */
public final class DataDir {
  private static final Logger log = LoggerFactory.getLogger(DataDir.class);
  static final Set<PosixFilePermission> DIR = dev.botfleet.common.PrivateFiles.OWNER_ONLY_DIR;
  static final Set<PosixFilePermission> FILE = dev.botfleet.common.PrivateFiles.OWNER_ONLY;

  private DataDir() {}

  private static boolean posix() {
    return dev.botfleet.common.PrivateFiles.posix();
  }

  /**
   * Creates {@code dir} (and missing parents) {@code 0700}. An existing dir keeps its mode; one
   * that others may enter is logged, since an operator made it so.
   */
  public static void prepare(Path dir) {
    try {
      if (Files.isDirectory(dir)) {
        if (posix()) {
          Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
          if (!DIR.containsAll(mode)) {
            log.warn(
                "event=data_dir_open dir={} mode={} expected=rwx------",
                dir,
                PosixFilePermissions.toString(mode));
          }
        }
        return;
      }
      if (posix()) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR));
        // The umask may have taken bits off; never added any, but say the mode once more.
        Files.setPosixFilePermissions(dir, DIR);
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("data-dir: cannot create " + dir, e);
    }
  }

  /** Makes the H2 database files in {@code dir} ({@code botfleet.*}) {@code 0600}. */
  public static void restrictDatabaseFiles(Path dir) {
    if (!posix() || !Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f) && f.getFileName().toString().startsWith("botfleet.")) {
          Files.setPosixFilePermissions(f, FILE);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("data-dir: cannot restrict the database files in " + dir, e);
    }
  }
}
