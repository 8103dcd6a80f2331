package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.BotfleetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class MachineCredentialTest {
  @TempDir Path temp;

  private final MachineCredential credential =
      new MachineCredential("mach_1", "s3cret", "orch:7443", "prod", "box-1");

  @Test
  void a1_saved_credential_loads_back_and_a_missing_file_is_empty() throws Exception {
    Path dataDir = temp.resolve("data/nested");
    assertThat(MachineCredential.load(dataDir)).isEmpty();
    credential.save(dataDir);
    assertThat(MachineCredential.load(dataDir)).contains(credential);
    MachineCredential moved = credential.withServer("other:1");
    moved.save(dataDir);
    assertThat(MachineCredential.load(dataDir)).contains(moved);
    try (Stream<Path> files = Files.list(dataDir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("machine.properties");
    }
  }

  @Test
  @DisabledOnOs(OS.WINDOWS)
  void a1_credential_file_is_owner_only_and_loading_tightens_a_loose_one() throws Exception {
    credential.save(temp);
    Path file = MachineCredential.file(temp);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    MachineCredential.load(temp);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void to_string_hides_the_secret() {
    assertThat(credential.toString()).contains("mach_1").doesNotContain("s3cret");
  }

  @Test
  void a1_a_file_without_credential_is_refused_with_a_fix() throws Exception {
    Files.writeString(MachineCredential.file(temp), "machine_id=mach_1\n");
    assertThatThrownBy(() -> MachineCredential.load(temp))
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("has no credential")
        .hasMessageContaining("--join-token");
  }
}
