package dev.botfleet.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import oshi.PlatformEnum;
import oshi.software.os.OSSession;

class CapacityProbeTest {

  // Version strings as CapacityProbe builds them from OSHI (family + version info).
  private static final String WINDOWS_10 = "Windows 10 build 19045";
  private static final String WINDOWS_11 = "Windows 11 build 22631";
  private static final String SERVER_2022 = "Windows Server 2022 build 20348";
  private static final String UBUNTU =
      "Ubuntu 22.04.4 LTS (Jammy Jellyfish) build 5.15.0-105-generic";
  private static final String MACOS = "macOS 14.4.1 (Sonoma) build 23E224";

  @Test
  void a2_windows_client_editions_default_to_one_session() {
    assertThat(CapacityProbe.defaultMaxSessions("WINDOWS", WINDOWS_10, 8, null)).isEqualTo(1);
    assertThat(CapacityProbe.defaultMaxSessions("WINDOWS", WINDOWS_11, 16, null)).isEqualTo(1);
  }

  @Test
  void a2_windows_server_defaults_to_logical_cpus() {
    assertThat(CapacityProbe.defaultMaxSessions("WINDOWS", SERVER_2022, 8, null)).isEqualTo(8);
  }

  @Test
  void a2_linux_and_macos_default_to_logical_cpus() {
    assertThat(CapacityProbe.defaultMaxSessions("LINUX", UBUNTU, 4, null)).isEqualTo(4);
    assertThat(CapacityProbe.defaultMaxSessions("MACOS", MACOS, 10, null)).isEqualTo(10);
    assertThat(CapacityProbe.defaultMaxSessions("OTHER", "FreeBSD 14.0", 2, null)).isEqualTo(2);
  }

  @Test
  void a2_override_wins_over_every_default() {
    assertThat(CapacityProbe.defaultMaxSessions("WINDOWS", WINDOWS_10, 8, 3)).isEqualTo(3);
    assertThat(CapacityProbe.defaultMaxSessions("WINDOWS", SERVER_2022, 8, 2)).isEqualTo(2);
    assertThat(CapacityProbe.defaultMaxSessions("LINUX", UBUNTU, 4, 12)).isEqualTo(12);
  }

  @Test
  void a2_override_below_one_is_rejected() {
    assertThatThrownBy(() -> CapacityProbe.defaultMaxSessions("LINUX", UBUNTU, 4, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxSessions override: 0")
        .hasMessageContaining("expected: >= 1");
    assertThatThrownBy(() -> new CapacityProbe(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxSessions override: -2");
  }

  @Test
  void a2_windows_edition_is_client_or_server_on_windows_and_empty_elsewhere() {
    assertThat(CapacityProbe.windowsEdition("WINDOWS", WINDOWS_11)).isEqualTo("CLIENT");
    assertThat(CapacityProbe.windowsEdition("WINDOWS", SERVER_2022)).isEqualTo("SERVER");
    assertThat(CapacityProbe.windowsEdition("WINDOWS", "Windows server 2019")).isEqualTo("SERVER");
    assertThat(CapacityProbe.windowsEdition("LINUX", UBUNTU)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "WINDOWS, WINDOWS",
    "WINDOWSCE, WINDOWS",
    "LINUX, LINUX",
    "ANDROID, LINUX",
    "MACOS, MACOS",
    "FREEBSD, OTHER",
    "SOLARIS, OTHER",
    "UNKNOWN, OTHER"
  })
  void a2_oshi_platforms_map_to_os_families(PlatformEnum platform, String family) {
    assertThat(CapacityProbe.osFamily(platform)).isEqualTo(family);
  }

  @Test
  void a2_os_version_joins_oshi_family_and_version() {
    assertThat(CapacityProbe.osVersion("Windows", "Server 2022 build 20348"))
        .isEqualTo(SERVER_2022);
    assertThat(CapacityProbe.osVersion(" ", null)).isEqualTo("unknown");
  }

  @Test
  void a2_active_sessions_count_distinct_user_terminal_pairs() {
    List<OSSession> who =
        List.of(
            new OSSession("alice", "console", 1L, "unknown"),
            new OSSession("alice", "console", 2L, "unknown"), // same session listed twice
            new OSSession("bot1", "rdp-tcp#1", 3L, "10.0.0.5"),
            new OSSession("bot2", "rdp-tcp#2", 4L, "10.0.0.6"),
            new OSSession("", "tty7", 5L, "unknown")); // no user: not a session
    assertThat(CapacityProbe.activeSessions(who)).isEqualTo(3);
  }

  @Test
  void a2_no_sessions_listed_as_in_a_container_means_zero_active() {
    assertThat(CapacityProbe.activeSessions(List.of())).isZero();
  }

  @Test
  void a2_hostname_falls_back_when_oshi_has_none() {
    assertThat(CapacityProbe.hostname(" bot-01 ", () -> "other")).isEqualTo("bot-01");
    assertThat(CapacityProbe.hostname("", () -> "from-java")).isEqualTo("from-java");
    assertThat(CapacityProbe.hostname(null, () -> null)).isEqualTo("localhost");
  }

  @Test
  void a2_static_facts_are_read_once_and_sessions_on_every_refresh() {
    AtomicInteger staticReads = new AtomicInteger();
    AtomicInteger sessions = new AtomicInteger(1);
    AtomicInteger sessionReads = new AtomicInteger();
    Supplier<CapacityProbe.StaticFacts> facts =
        () -> {
          staticReads.incrementAndGet();
          return new CapacityProbe.StaticFacts("WINDOWS", SERVER_2022, "rpa-01", 8, 32L << 30);
        };
    IntSupplier who =
        () -> {
          sessionReads.incrementAndGet();
          return sessions.get();
        };
    CapacityProbe probe = new CapacityProbe(facts, who, null);

    MachineCapacity first = probe.current();
    assertThat(first)
        .isEqualTo(
            new MachineCapacity("WINDOWS", SERVER_2022, "rpa-01", 8, 32L << 30, 1, 8, "SERVER"));
    assertThat(probe.current()).isSameAs(first);

    sessions.set(3);
    MachineCapacity second = probe.refresh();
    assertThat(second.activeSessions()).isEqualTo(3);
    assertThat(second).isNotEqualTo(first).isEqualTo(first.withActiveSessions(3));
    probe.refresh();

    assertThat(staticReads).hasValue(1);
    assertThat(sessionReads).hasValue(3);
  }

  @Test
  void a2_probe_applies_the_override_to_its_snapshots() {
    CapacityProbe probe =
        new CapacityProbe(
            () -> new CapacityProbe.StaticFacts("WINDOWS", WINDOWS_11, "desk-7", 4, 1L << 33),
            () -> 1,
            2);
    MachineCapacity capacity = probe.refresh();
    assertThat(capacity.maxSessions()).isEqualTo(2);
    assertThat(capacity.windowsEdition()).isEqualTo("CLIENT");
  }

  @Test
  void a2_reads_this_machine_from_oshi() {
    MachineCapacity capacity = new CapacityProbe(null).refresh();
    assertThat(capacity.osFamily()).isIn("WINDOWS", "LINUX", "MACOS", "OTHER");
    assertThat(capacity.osVersion()).isNotBlank();
    assertThat(capacity.hostname()).isNotBlank();
    assertThat(capacity.logicalCpus()).isPositive();
    assertThat(capacity.memoryBytes()).isPositive();
    assertThat(capacity.activeSessions()).isNotNegative();
    assertThat(capacity.maxSessions()).isPositive();
  }

  @Test
  void a2_machine_capacity_rejects_inconsistent_values() {
    assertThatThrownBy(() -> new MachineCapacity("BEOS", "5", "h", 1, 0, 0, 1, ""))
        .hasMessageContaining("osFamily: 'BEOS'");
    assertThatThrownBy(() -> new MachineCapacity("LINUX", "x", "h", 1, 0, 0, 1, "SERVER"))
        .hasMessageContaining("expected: empty on LINUX");
    assertThatThrownBy(() -> new MachineCapacity("WINDOWS", "x", "h", 1, 0, 0, 1, ""))
        .hasMessageContaining("expected: CLIENT or SERVER on Windows");
    assertThatThrownBy(() -> new MachineCapacity("LINUX", "x", "h", 0, 0, 0, 1, ""))
        .hasMessageContaining("logicalCpus: 0");
    assertThatThrownBy(() -> new MachineCapacity("LINUX", "x", "h", 1, 0, 0, 0, ""))
        .hasMessageContaining("maxSessions: 0");
  }
}
