package dev.botfleet.agent.flows;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local allow-list of desktop flows (SPEC A5): a flow is a folder {@code <flows-dir>/<name>/}
 * holding an executable {@code run} (on Windows {@code run.cmd} or {@code run.ps1}).
 *
 * <p>Names come from the orchestrator, so they are treated as untrusted: only a plain folder name
 * is accepted, and the folder must stay inside the flows directory after normalisation and after
 * resolving symlinks.
 *
 * <p>Nothing is cached: flows can be installed or removed while the agent runs. Thread-safe.
 */
public final class InstalledFlows {
  private static final Logger log = LoggerFactory.getLogger(InstalledFlows.class);

  static final int MAX_NAME_LENGTH = 128;
  private static final String EXPECTED =
      "expected: a plain folder name of letters, digits, '.', '_' or '-', such as 'invoice-entry'";
  // Windows maps these names to devices whatever the folder; refuse them everywhere so a flow
  // installed on Linux behaves the same on Windows.
  private static final Set<String> WINDOWS_DEVICES =
      Set.of(
          "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
          "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9");

  private final Path flowsDir;
  private final boolean windows;

  public InstalledFlows(Path flowsDir) {
    this(flowsDir, System.getProperty("os.name", "").startsWith("Windows"));
  }

  InstalledFlows(Path flowsDir, boolean windows) {
    this.flowsDir = requireNonNull(flowsDir, "flowsDir").toAbsolutePath().normalize();
    this.windows = windows;
  }

  /** The flows directory, absolute. It need not exist: then nothing is installed. */
  public Path directory() {
    return flowsDir;
  }

  /**
   * The installed flow called {@code name}, or empty when there is no such folder or it has no
   * runnable {@code run} file.
   *
   * @throws IllegalArgumentException when {@code name} is not a plain folder name, or its folder
   *     resolves outside the flows directory (e.g. through a symlink); the message says why
   * @throws UncheckedIOException when the flows directory cannot be read
   */
  public Optional<InstalledFlow> find(String name) {
    checkName(name);
    Path root = realRoot();
    if (root == null) {
      return Optional.empty();
    }
    Path candidate = root.resolve(name).normalize();
    // Cannot happen after checkName; kept so a future relaxation of the name rule stays safe.
    if (!candidate.startsWith(root) || candidate.equals(root)) {
      throw new IllegalArgumentException(
          "flow name: '" + name + "' resolves outside " + root + " (" + EXPECTED + ")");
    }
    if (!Files.isDirectory(candidate)) {
      return Optional.empty();
    }
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (NoSuchFileException e) {
      return Optional.empty(); // removed meanwhile
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve flow folder " + candidate, e);
    }
    if (!real.startsWith(root) || real.equals(root)) {
      throw new IllegalArgumentException(
          "flow '"
              + name
              + "': folder resolves to "
              + real
              + ", outside the flows directory "
              + root
              + " (expected: a folder inside it; symlinks must not leave it)");
    }
    return launcher(real).map(run -> new InstalledFlow(name, real, commandFor(run, windows)));
  }

  /** Names of the installed flows, sorted. Folders that {@link #find} would refuse are left out. */
  public List<String> names() {
    Path root = realRoot();
    if (root == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> entries = Files.list(root)) {
      entries.forEach(
          entry -> {
            String name = entry.getFileName().toString();
            if (invalidNameReason(name) != null) {
              return;
            }
            try {
              find(name).ifPresent(flow -> names.add(flow.name()));
            } catch (IllegalArgumentException | UncheckedIOException e) {
              log.warn("ignoring flow folder {}: {}", entry, e.getMessage());
            }
          });
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list flows directory " + root, e);
    }
    names.sort(null);
    return List.copyOf(names);
  }

  private Path realRoot() {
    try {
      return flowsDir.toRealPath();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve flows directory " + flowsDir, e);
    }
  }

  private Optional<Path> launcher(Path folder) {
    if (windows) {
      // run.cmd first: it is what the packaging docs show; run.ps1 for PowerShell flows.
      for (String file : List.of("run.cmd", "run.ps1")) {
        Path run = folder.resolve(file);
        if (Files.isRegularFile(run)) {
          return Optional.of(run);
        }
      }
      return Optional.empty();
    }
    Path run = folder.resolve("run");
    return Files.isRegularFile(run) && Files.isExecutable(run)
        ? Optional.of(run)
        : Optional.empty();
  }

  static List<String> commandFor(Path run, boolean windows) {
    String file = run.getFileName().toString().toLowerCase(Locale.ROOT);
    String path = run.toString();
    if (windows && file.endsWith(".cmd")) {
      return List.of("cmd.exe", "/c", path);
    }
    if (windows && file.endsWith(".ps1")) {
      return List.of("powershell.exe", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", path);
    }
    return List.of(path);
  }

  /**
   * Returns {@code name} when it is a plain folder name.
   *
   * @throws IllegalArgumentException saying what is wrong with it otherwise
   */
  static String checkName(String name) {
    requireNonNull(name, "name");
    String reason = invalidNameReason(name);
    if (reason != null) {
      throw new IllegalArgumentException("flow name: " + reason + " (" + EXPECTED + ")");
    }
    return name;
  }

  /** Why {@code name} is not a plain folder name, or {@code null} when it is one. */
  static String invalidNameReason(String name) {
    if (name.isEmpty()) {
      return "empty";
    }
    String quoted = "'" + name + "'";
    if (name.equals(".") || name.equals("..")) {
      return quoted + " is a relative path step";
    }
    if (name.startsWith("/")
        || name.startsWith("\\")
        || (name.length() > 1 && name.charAt(1) == ':')) {
      return quoted + " is an absolute path";
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
      return quoted + " has a path separator, so it is not a single path segment";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "'"
          + name.substring(0, 16)
          + "...' is "
          + name.length()
          + " characters long (at most "
          + MAX_NAME_LENGTH
          + ")";
    }
    if (name.startsWith(".")) {
      return quoted + " starts with '.'";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!ok) {
        return quoted + " has the character " + describe(c) + " at index " + i;
      }
    }
    if (name.endsWith(".")) {
      // Windows drops trailing dots, so 'flow.' would open the folder 'flow'.
      return quoted + " ends with '.'";
    }
    String stem = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
    if (WINDOWS_DEVICES.contains(stem.toUpperCase(Locale.ROOT))) {
      return quoted + " is a reserved device name on Windows";
    }
    return null;
  }

  private static String describe(char c) {
    if (c < 0x20 || c == 0x7f || Character.isWhitespace(c)) {
      return String.format("U+%04X", (int) c);
    }
    return "'" + c + "'";
  }
}
