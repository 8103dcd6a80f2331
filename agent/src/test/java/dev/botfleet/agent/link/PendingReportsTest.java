package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunStarted;
import dev.botfleet.proto.v1.RunUpdate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PendingReportsTest {
  @TempDir Path temp;

  private static RunUpdate finished(String runId, long endedAtSeconds) {
    return RunUpdate.newBuilder()
        .setRunId(runId)
        .setAttempt(1)
        .setFinished(
            RunFinished.newBuilder()
                .setOutcome(RunOutcome.RUN_OUTCOME_SUCCEEDED)
                .setExitCode(0)
                .setEndedAt(Timestamp.newBuilder().setSeconds(endedAtSeconds)))
        .build();
  }

  @Test
  void a6_reports_on_disk_survive_a_restart_oldest_first_until_removed() throws Exception {
    Path dir = temp.resolve("pending");
    PendingReports first = PendingReports.inDirectory(dir);
    first.put(finished("run_b", 20));
    first.put(finished("run_a", 10));
    first.put(finished("weird/../id", 30));
    assertThat(files(dir))
        .hasSize(3)
        .contains("run_a.pb", "run_b.pb")
        .allMatch(f -> f.endsWith(".pb"));

    PendingReports second = PendingReports.inDirectory(dir);
    assertThat(second.all())
        .extracting(RunUpdate::getRunId)
        .containsExactly("run_a", "run_b", "weird/../id");
    assertThat(second.get("run_b")).contains(finished("run_b", 20));

    assertThat(second.remove("run_a")).isTrue();
    assertThat(second.remove("weird/../id")).isTrue();
    assertThat(second.remove("run_a")).isFalse();
    assertThat(files(dir)).containsExactly("run_b.pb");
    assertThat(PendingReports.inDirectory(dir).size()).isEqualTo(1);
  }

  @Test
  void a6_a_newer_report_replaces_the_older_one_of_the_same_run() {
    PendingReports reports = PendingReports.inDirectory(temp);
    reports.put(finished("run_a", 10));
    RunUpdate newer = finished("run_a", 10).toBuilder().setAttempt(2).build();
    reports.put(newer);
    assertThat(reports.all()).containsExactly(newer);
    assertThat(PendingReports.inDirectory(temp).all()).containsExactly(newer);
  }

  @Test
  void leftover_temp_files_are_deleted_and_corrupt_files_are_set_aside() throws Exception {
    Files.writeString(temp.resolve(".report-123.tmp"), "half");
    Files.writeString(temp.resolve("run_z.pb"), "not a protobuf \u0000\u00ff garbage");
    PendingReports reports = PendingReports.inDirectory(temp);
    assertThat(reports.size()).isZero();
    assertThat(files(temp)).containsExactly("run_z.pb.corrupt");
  }

  @Test
  void only_finished_updates_are_kept() {
    PendingReports reports = PendingReports.inMemory();
    RunUpdate started =
        RunUpdate.newBuilder().setRunId("r").setStarted(RunStarted.getDefaultInstance()).build();
    assertThatThrownBy(() -> reports.put(started)).hasMessageContaining("no finished event");
    reports.put(finished("r", 1));
    assertThat(reports.size()).isEqualTo(1);
    assertThat(reports.remove("r")).isTrue();
    assertThat(reports.all()).isEmpty();
  }

  private static java.util.List<String> files(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
