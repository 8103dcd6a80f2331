package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.PrivateFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an enrolled agent keeps in {@code <data-dir>/machine.properties} (SPEC A1): the machine id
 * and credential the orchestrator issued, the orchestrator's address and the environment. With this
 * file present the agent never enrols again, so a restart needs no new join token.
 *
 * <p>The file is written atomically (temp file, then move) and readable by its owner only ({@code
 * rw-------} where the file system has POSIX permissions). {@link #toString()} hides the
 * credential.
 *
 * @param machineId the orchestrator's machine id, e.g. {@code mach_…}
 * @param credential the per-machine secret presented in {@code Hello}
 * @param server the orchestrator address ({@code HOST:PORT}) the machine enrolled with
 * @param environment the environment the machine belongs to
 * @param machineName the machine's name in that environment
 */
public record MachineCredential(
    String machineId, String credential, String server, String environment, String machineName) {
  private static final Logger log = LoggerFactory.getLogger(MachineCredential.class);

  /** File name inside the data directory. */
  public static final String FILE = "machine.properties";

  static final Set<PosixFilePermission> OWNER_ONLY = PrivateFiles.OWNER_ONLY;

  public MachineCredential {
    requireNonNull(machineId, "machineId");
    requireNonNull(credential, "credential");
    requireNonNull(server, "server");
    requireNonNull(environment, "environment");
    requireNonNull(machineName, "machineName");
    if (machineId.isBlank()) {
      throw new IllegalArgumentException("machineId: blank (expected: the orchestrator's id)");
    }
    if (credential.isBlank()) {
      throw new IllegalArgumentException("credential: blank (expected: the issued secret)");
    }
  }

  /** The credential file of {@code dataDir}. */
  public static Path file(Path dataDir) {
    return requireNonNull(dataDir, "dataDir").resolve(FILE);
  }

  /**
   * Reads the credential file of {@code dataDir}.
   *
   * @return empty when there is no such file (the agent has not enrolled yet)
   * @throws BotfleetException {@code FAILED_PRECONDITION} when the file exists but lacks a machine
   *     id or credential
   * @throws UncheckedIOException when the file cannot be read
   */
  public static Optional<MachineCredential> load(Path dataDir) {
    Path file = file(dataDir);
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    String machineId = properties.getProperty("machine_id", "").strip();
    String credential = properties.getProperty("credential", "").strip();
    if (machineId.isEmpty() || credential.isEmpty()) {
      throw BotfleetException.precondition(
          ErrorReason.A1_CREDENTIAL_FILE_INVALID,
          file
              + " has no "
              + (machineId.isEmpty() ? "machine_id" : "credential")
              + " (expected: the file the agent wrote when it enrolled; delete it and enrol again"
              + " with --join-token)");
    }
    tightenPermissions(file);
    return Optional.of(
        new MachineCredential(
            machineId,
            credential,
            properties.getProperty("server", "").strip(),
            properties.getProperty("environment", "").strip(),
            properties.getProperty("machine_name", "").strip()));
  }

  /**
   * Writes this credential to {@code dataDir} (created if missing, owner-only), replacing any
   * previous file atomically.
   */
  public void save(Path dataDir) {
    requireNonNull(dataDir, "dataDir");
    Path file = file(dataDir);
    Properties properties = new Properties();
    properties.setProperty("machine_id", machineId);
    properties.setProperty("credential", credential);
    properties.setProperty("server", server);
    properties.setProperty("environment", environment);
    properties.setProperty("machine_name", machineName);
    try {
      createPrivateDirectories(dataDir);
      Path temp = createPrivateTempFile(dataDir, ".machine-", ".tmp");
      try {
        try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
          properties.store(writer, "Botfleet agent enrolment (SPEC A1). Secret: keep private.");
        }
        moveAtomically(temp, file);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** This credential with another orchestrator address. */
  public MachineCredential withServer(String newServer) {
    return new MachineCredential(machineId, credential, newServer, environment, machineName);
  }

  @Override
  public String toString() {
    return "MachineCredential[machineId="
        + machineId
        + ", credential=***, server="
        + server
        + ", environment="
        + environment
        + ", machineName="
        + machineName
        + "]";
  }

  // ---- file helpers shared with PendingReports: common/PrivateFiles ----

  static boolean posix() {
    return PrivateFiles.posix();
  }

  static void createPrivateDirectories(Path dir) throws IOException {
    PrivateFiles.createDirectories(dir);
  }

  static Path createPrivateTempFile(Path dir, String prefix, String suffix) throws IOException {
    return PrivateFiles.createTempFile(dir, prefix, suffix);
  }

  static void moveAtomically(Path from, Path to) throws IOException {
    PrivateFiles.moveAtomically(from, to);
  }

  private static void tightenPermissions(Path file) {
    if (!posix()) {
      return;
    }
    try {
      Set<PosixFilePermission> current = Files.getPosixFilePermissions(file);
      if (!current.equals(OWNER_ONLY)) {
        Files.setPosixFilePermissions(file, OWNER_ONLY);
        log.warn(
            "event=credential_file_permissions_fixed file={} was={} now=rw-------",
            file,
            PosixFilePermissions.toString(current));
      }
    } catch (IOException e) {
      log.warn("event=credential_file_permissions_unchecked file={} error=\"{}\"", file, e);
    }
  }
}
