package dev.botfleet.agent.probe;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import oshi.PlatformEnum;
import oshi.SystemInfo;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.software.os.OSSession;
import oshi.software.os.OperatingSystem;

/**
 * Reads the machine's capacity from OSHI (SPEC A2).
 *
 * <p>OS, hostname, CPUs and memory are read once and memoised: they do not change while the agent
 * runs and some OSHI reads are slow (WMI on Windows). Only the session count is re-read by {@link
 * #refresh()}. Decisions (family, edition, default maximum sessions, session counting) live in
 * package-private static functions so they are tested with fixtures, apart from the OSHI read.
 *
 * <p>Thread-safe.
 */
public final class CapacityProbe {
  private static final Logger log = LoggerFactory.getLogger(CapacityProbe.class);

  /** What does not change while the agent runs. */
  record StaticFacts(
      String osFamily, String osVersion, String hostname, int logicalCpus, long memoryBytes) {
    StaticFacts {
      requireNonNull(osFamily, "osFamily");
      requireNonNull(osVersion, "osVersion");
      requireNonNull(hostname, "hostname");
    }
  }

  private final Supplier<StaticFacts> staticReader;
  private final IntSupplier sessionReader;
  private final Integer maxSessionsOverride;

  private StaticFacts facts; // guarded by this
  private MachineCapacity last; // guarded by this

  /**
   * @param maxSessionsOverride the configured maximum of concurrent sessions, or {@code null} to
   *     use the default for this OS; must be at least 1 when set
   */
  public CapacityProbe(Integer maxSessionsOverride) {
    this(new OshiReader(), maxSessionsOverride);
  }

  private CapacityProbe(OshiReader oshi, Integer maxSessionsOverride) {
    this(oshi::readStatic, oshi::readActiveSessions, maxSessionsOverride);
  }

  CapacityProbe(
      Supplier<StaticFacts> staticReader, IntSupplier sessionReader, Integer maxSessionsOverride) {
    this.staticReader = requireNonNull(staticReader, "staticReader");
    this.sessionReader = requireNonNull(sessionReader, "sessionReader");
    this.maxSessionsOverride = checkOverride(maxSessionsOverride);
  }

  /** The last snapshot, read on first use. Does not re-read anything afterwards. */
  public synchronized MachineCapacity current() {
    return last != null ? last : refresh();
  }

  /** Re-reads the active sessions (the static facts stay memoised) and returns a new snapshot. */
  public synchronized MachineCapacity refresh() {
    if (facts == null) {
      facts = staticReader.get();
    }
    int sessions = Math.max(0, sessionReader.getAsInt());
    last =
        new MachineCapacity(
            facts.osFamily(),
            facts.osVersion(),
            facts.hostname(),
            facts.logicalCpus(),
            facts.memoryBytes(),
            sessions,
            defaultMaxSessions(
                facts.osFamily(), facts.osVersion(), facts.logicalCpus(), maxSessionsOverride),
            windowsEdition(facts.osFamily(), facts.osVersion()));
    return last;
  }

  // ---- decisions, pure ----

  static Integer checkOverride(Integer override) {
    if (override != null && override < 1) {
      throw new IllegalArgumentException(
          "maxSessions override: " + override + " (expected: >= 1, or unset for the OS default)");
    }
    return override;
  }

  /**
   * Maximum concurrent sessions: an explicit override wins; a Windows client edition allows one
   * interactive session (SPEC A2); Windows Server, Linux and macOS run one bot per logical CPU,
   * each bot being a process (Server: one RDP session per bot).
   */
  static int defaultMaxSessions(String family, String versionString, int cpus, Integer override) {
    requireNonNull(family, "family");
    requireNonNull(versionString, "versionString");
    if (checkOverride(override) != null) {
      return override;
    }
    if (MachineCapacity.WINDOWS.equals(family)
        && MachineCapacity.CLIENT.equals(windowsEdition(family, versionString))) {
      return 1;
    }
    return Math.max(1, cpus);
  }

  /** {@code SERVER} when the Windows version names a server release, {@code CLIENT} otherwise. */
  static String windowsEdition(String family, String versionString) {
    if (!MachineCapacity.WINDOWS.equals(family)) {
      return "";
    }
    // OSHI names server releases "Server 2022" etc. and client releases "10", "11".
    return versionString.toLowerCase(Locale.ROOT).contains("server")
        ? MachineCapacity.SERVER
        : MachineCapacity.CLIENT;
  }

  static String osFamily(PlatformEnum platform) {
    switch (requireNonNull(platform, "platform")) {
      case WINDOWS:
      case WINDOWSCE:
        return MachineCapacity.WINDOWS;
      case LINUX:
      case ANDROID:
      case GNU:
        return MachineCapacity.LINUX;
      case MACOS:
        return MachineCapacity.MACOS;
      default:
        return MachineCapacity.OTHER;
    }
  }

  /** Human OS name, e.g. "Windows Server 2022 build 20348" or "Ubuntu 22.04.4 LTS (Jammy)". */
  static String osVersion(String oshiFamily, String oshiVersionInfo) {
    String family = oshiFamily == null ? "" : oshiFamily.strip();
    String version = oshiVersionInfo == null ? "" : oshiVersionInfo.strip();
    String joined = (family + " " + version).strip();
    return joined.isEmpty() ? "unknown" : joined;
  }

  /**
   * Counts distinct (user, terminal) pairs: OSHI lists one entry per login record, and the same
   * session can appear twice on some platforms. Entries without a user are not sessions.
   */
  static int activeSessions(List<OSSession> sessions) {
    Set<String> distinct = new HashSet<>();
    for (OSSession s : sessions) {
      String user = s.getUserName();
      if (user == null || user.isBlank()) {
        continue;
      }
      distinct.add(user + '\u0000' + s.getTerminalDevice());
    }
    return distinct.size();
  }

  static String hostname(String oshiHostname, Supplier<String> fallback) {
    if (oshiHostname != null && !oshiHostname.isBlank()) {
      return oshiHostname.strip();
    }
    String other = fallback.get();
    return other == null || other.isBlank() ? "localhost" : other.strip();
  }

  // ---- the OSHI read ----

  private static final class OshiReader {
    private final SystemInfo systemInfo = new SystemInfo();

    StaticFacts readStatic() {
      OperatingSystem os = systemInfo.getOperatingSystem();
      HardwareAbstractionLayer hal = systemInfo.getHardware();
      return new StaticFacts(
          osFamily(SystemInfo.getCurrentPlatform()),
          osVersion(os.getFamily(), String.valueOf(os.getVersionInfo())),
          hostname(os.getNetworkParams().getHostName(), OshiReader::javaHostname),
          Math.max(1, hal.getProcessor().getLogicalProcessorCount()),
          Math.max(0, hal.getMemory().getTotal()));
    }

    int readActiveSessions() {
      try {
        return activeSessions(systemInfo.getOperatingSystem().getSessions());
      } catch (RuntimeException e) {
        // Containers and locked-down hosts have no utmp / WTS access; report none rather than fail.
        log.debug("cannot read sessions; reporting 0", e);
        return 0;
      }
    }

    private static String javaHostname() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        return null;
      }
    }
  }
}
