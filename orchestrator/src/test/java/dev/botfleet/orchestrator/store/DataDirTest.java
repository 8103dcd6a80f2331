package dev.botfleet.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 §2: the server's data dir is created 0700 and its database files are 0600. */
class DataDirTest {
  @TempDir Path dir;

  @Test
  void issue_12_the_data_dir_is_created_0700_and_its_database_files_0600() throws Exception {
    Path data = dir.resolve("new").resolve("data");
    try (TestOrchestrator t = TestOrchestrator.h2(data)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
          .isEqualTo("rwx------");
      List<Path> dbFiles;
      try (var files = Files.list(data)) {
        dbFiles = files.filter(f -> f.getFileName().toString().startsWith("botfleet.")).toList();
      }
      assertThat(dbFiles).isNotEmpty();
      for (Path f : dbFiles) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
            .as(f.toString())
            .isEqualTo("rw-------");
      }
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(data.resolve("admin.token"))))
          .isEqualTo("rw-------");
    }
  }
}
