package dev.botfleet.common;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Secrets on disk (tokens, credentials, keys): owner-only directories and files, written whole or
 * not at all (a temp file made owner-only from the start, then an atomic move). Where the file
 * system has no POSIX permissions (Windows) the directory's ACL protects them.
 */
public final class PrivateFiles {
  public static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> READABLE =
      PosixFilePermissions.fromString("rw-r--r--");

  private PrivateFiles() {}

  public static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  /** Creates {@code dir} and its missing parents {@code rwx------}; an existing one is left be. */
  public static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (posix()) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    } else {
      Files.createDirectories(dir);
    }
  }

  /** An empty temp file in {@code dir}, {@code rw-------} from its creation. */
  public static Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
    if (posix()) {
      return Files.createTempFile(
          dir, prefix, suffix, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    }
    return Files.createTempFile(dir, prefix, suffix);
  }

  /** Replaces {@code to} by {@code from}, atomically where the file system can. */
  public static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Writes {@code text} (UTF-8) to {@code file}, owner-only, replacing it atomically. */
  public static void write(Path file, String text) throws IOException {
    write(file, text, false);
  }

  /** As {@link #write}, but {@code rw-r--r--}: public material such as certificates. */
  public static void writeReadable(Path file, String text) throws IOException {
    write(file, text, true);
  }

  private static void write(Path file, String text, boolean readable) throws IOException {
    requireNonNull(file, "file");
    Path dir = file.toAbsolutePath().getParent();
    Path temp = createTempFile(dir, "." + file.getFileName() + "-", ".tmp");
    try {
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      if (readable && posix()) {
        Files.setPosixFilePermissions(temp, READABLE);
      }
      moveAtomically(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
