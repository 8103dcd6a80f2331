package dev.botfleet.agent.flows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisabledOnOs(value = OS.WINDOWS, disabledReason = "uses POSIX permissions and symlinks")
class InstalledFlowsTest {
  @TempDir Path temp;

  private Path flowsDir() throws IOException {
    return Files.createDirectories(temp.resolve("flows"));
  }

  private static Path install(Path flowsDir, String name) throws IOException {
    Path folder = Files.createDirectories(flowsDir.resolve(name));
    Path run = Files.writeString(folder.resolve("run"), "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    return folder;
  }

  @Test
  void a5_installed_flow_is_found_with_the_command_that_launches_it() throws IOException {
    Path dir = flowsDir();
    Path folder = install(dir, "invoice-entry");

    InstalledFlow flow = new InstalledFlows(dir).find("invoice-entry").orElseThrow();

    assertThat(flow.name()).isEqualTo("invoice-entry");
    assertThat(flow.directory()).isEqualTo(folder.toRealPath());
    assertThat(flow.command()).containsExactly(folder.toRealPath().resolve("run").toString());
  }

  @Test
  void a5_folder_without_an_executable_run_is_not_installed() throws IOException {
    Path dir = flowsDir();
    Files.createDirectories(dir.resolve("empty"));
    Files.writeString(Files.createDirectories(dir.resolve("not-executable")).resolve("run"), "x");
    Files.createDirectories(dir.resolve("run-is-a-folder").resolve("run"));
    Files.writeString(dir.resolve("plain-file"), "x");
    InstalledFlows flows = new InstalledFlows(dir);

    assertThat(flows.find("empty")).isEmpty();
    assertThat(flows.find("not-executable")).isEmpty();
    assertThat(flows.find("run-is-a-folder")).isEmpty();
    assertThat(flows.find("plain-file")).isEmpty();
    assertThat(flows.find("never-heard-of")).isEmpty();
    assertThat(flows.names()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "..         | is a relative path step",
        ".          | is a relative path step",
        "../x       | is not a single path segment",
        "a/b        | is not a single path segment",
        "a\\b       | is not a single path segment",
        "/etc       | is an absolute path",
        "C:flows    | is an absolute path",
        ".hidden    | starts with '.'",
        "'a b'      | has the character U+0020 at index 1",
        "flow$      | has the character '$' at index 4",
        "flow.      | ends with '.'",
        "nul        | is a reserved device name on Windows",
        "COM1.txt   | is a reserved device name on Windows",
        "''         | empty",
      })
  void a5_names_that_are_not_a_plain_folder_name_are_rejected_with_the_reason(
      String name, String reason) throws IOException {
    InstalledFlows flows = new InstalledFlows(flowsDir());
    assertThatThrownBy(() -> flows.find(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("flow name: ")
        .hasMessageContaining(reason)
        .hasMessageContaining("expected: a plain folder name");
  }

  @Test
  void a5_overlong_names_are_rejected() throws IOException {
    InstalledFlows flows = new InstalledFlows(flowsDir());
    assertThatThrownBy(() -> flows.find("x".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("129 characters long (at most 128)");
  }

  @Test
  void a5_symlink_leaving_the_flows_dir_is_rejected() throws IOException {
    Path dir = flowsDir();
    Path outside = install(temp, "outside");
    Files.createSymbolicLink(dir.resolve("escape"), outside);
    InstalledFlows flows = new InstalledFlows(dir);

    assertThatThrownBy(() -> flows.find("escape"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flow 'escape': folder resolves to " + outside.toRealPath())
        .hasMessageContaining("symlinks must not leave it");
    assertThat(flows.names()).isEmpty();
  }

  @Test
  void a5_symlink_to_the_flows_dir_itself_is_rejected() throws IOException {
    Path dir = flowsDir();
    Files.createSymbolicLink(dir.resolve("self"), dir);
    assertThatThrownBy(() -> new InstalledFlows(dir).find("self"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside the flows directory");
  }

  @Test
  void a5_symlink_staying_inside_the_flows_dir_is_allowed() throws IOException {
    Path dir = flowsDir();
    Path real = install(dir, "invoice-v2");
    Files.createSymbolicLink(dir.resolve("invoice"), real);

    InstalledFlow flow = new InstalledFlows(dir).find("invoice").orElseThrow();

    assertThat(flow.name()).isEqualTo("invoice");
    assertThat(flow.directory()).isEqualTo(real.toRealPath());
  }

  @Test
  void a5_flows_dir_reached_through_a_symlink_works() throws IOException {
    Path dir = flowsDir();
    install(dir, "payroll");
    Path link = Files.createSymbolicLink(temp.resolve("flows-link"), dir);

    assertThat(new InstalledFlows(link).find("payroll")).isPresent();
  }

  @Test
  void a5_names_lists_installed_flows_sorted_and_sees_new_installs() throws IOException {
    Path dir = flowsDir();
    install(dir, "zeta");
    install(dir, "alpha");
    install(dir, ".hidden");
    Files.createDirectories(dir.resolve("no-run"));
    InstalledFlows flows = new InstalledFlows(dir);

    assertThat(flows.names()).containsExactly("alpha", "zeta");

    install(dir, "middle");
    assertThat(flows.names()).containsExactly("alpha", "middle", "zeta");
    assertThat(flows.find("middle")).isPresent();
  }

  @Test
  void a5_missing_flows_dir_means_nothing_is_installed() {
    InstalledFlows flows = new InstalledFlows(temp.resolve("not-yet"));
    assertThat(flows.names()).isEmpty();
    assertThat(flows.find("anything")).isEmpty();
  }

  @Test
  void a5_windows_flows_launch_run_cmd_before_run_ps1() throws IOException {
    Path dir = flowsDir();
    Path both = Files.createDirectories(dir.resolve("both"));
    Files.writeString(both.resolve("run.cmd"), "@echo off\r\n");
    Files.writeString(both.resolve("run.ps1"), "exit 0\r\n");
    Path ps = Files.createDirectories(dir.resolve("ps"));
    Files.writeString(ps.resolve("run.ps1"), "exit 0\r\n");
    install(dir, "posix-only");
    InstalledFlows flows = new InstalledFlows(dir, true);

    assertThat(flows.find("both").orElseThrow().command())
        .containsExactly("cmd.exe", "/c", both.toRealPath().resolve("run.cmd").toString());
    assertThat(flows.find("ps").orElseThrow().command())
        .containsExactly(
            "powershell.exe",
            "-NoProfile",
            "-ExecutionPolicy",
            "Bypass",
            "-File",
            ps.toRealPath().resolve("run.ps1").toString());
    assertThat(flows.find("posix-only")).isEmpty();
    assertThat(flows.names()).isEqualTo(List.of("both", "ps"));
  }
}
