package dev.botfleet.agent.probe;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * What an agent reports about its machine (SPEC A2): OS, hostname, size, and how many interactive
 * sessions it has and may have. Records compare by value, so the agent reports "on change" by
 * comparing the last reported snapshot with a fresh one.
 *
 * @param osFamily {@code WINDOWS}, {@code LINUX}, {@code MACOS} or {@code OTHER}
 * @param osVersion human-readable OS name and version, e.g. {@code "Windows 11 build 22631"}
 * @param hostname the machine's host name
 * @param logicalCpus logical processors, at least 1
 * @param memoryBytes total physical memory in bytes
 * @param activeSessions interactive sessions open now (0 when unknown, e.g. in a container)
 * @param maxSessions how many runs may execute at once, at least 1
 * @param windowsEdition {@code CLIENT} or {@code SERVER} on Windows, {@code ""} elsewhere
 */
public record MachineCapacity(
    String osFamily,
    String osVersion,
    String hostname,
    int logicalCpus,
    long memoryBytes,
    int activeSessions,
    int maxSessions,
    String windowsEdition) {

  public static final String WINDOWS = "WINDOWS";
  public static final String LINUX = "LINUX";
  public static final String MACOS = "MACOS";
  public static final String OTHER = "OTHER";
  public static final String CLIENT = "CLIENT";
  public static final String SERVER = "SERVER";

  private static final Set<String> FAMILIES = Set.of(WINDOWS, LINUX, MACOS, OTHER);

  public MachineCapacity {
    requireNonNull(osFamily, "osFamily");
    requireNonNull(osVersion, "osVersion");
    requireNonNull(hostname, "hostname");
    requireNonNull(windowsEdition, "windowsEdition");
    if (!FAMILIES.contains(osFamily)) {
      throw new IllegalArgumentException(
          "osFamily: '" + osFamily + "' (expected: one of WINDOWS, LINUX, MACOS, OTHER)");
    }
    if (logicalCpus < 1) {
      throw new IllegalArgumentException("logicalCpus: " + logicalCpus + " (expected: >= 1)");
    }
    if (memoryBytes < 0) {
      throw new IllegalArgumentException("memoryBytes: " + memoryBytes + " (expected: >= 0)");
    }
    if (activeSessions < 0) {
      throw new IllegalArgumentException("activeSessions: " + activeSessions + " (expected: >= 0)");
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions: " + maxSessions + " (expected: >= 1)");
    }
    boolean windows = WINDOWS.equals(osFamily);
    if (windows && !(CLIENT.equals(windowsEdition) || SERVER.equals(windowsEdition))) {
      throw new IllegalArgumentException(
          "windowsEdition: '" + windowsEdition + "' (expected: CLIENT or SERVER on Windows)");
    }
    if (!windows && !windowsEdition.isEmpty()) {
      throw new IllegalArgumentException(
          "windowsEdition: '" + windowsEdition + "' (expected: empty on " + osFamily + ")");
    }
  }

  /** This snapshot with another active-session count; everything else is static. */
  public MachineCapacity withActiveSessions(int sessions) {
    return new MachineCapacity(
        osFamily,
        osVersion,
        hostname,
        logicalCpus,
        memoryBytes,
        sessions,
        maxSessions,
        windowsEdition);
  }
}
