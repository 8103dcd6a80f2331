package dev.botfleet.orchestrator.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code <data-dir>/ports.json}: the ports this server bound, for scripts and tests that start it
 * with port 0 (docs/operations.md, "Data directory"). One line, e.g. {@code
 * {"pid":1234,"grpc":7443,"http":9464}}; written once both ports are bound, into a temporary file
 * that is then moved into place, so a reader sees the whole file or none.
 */
final class PortsFile {
  static final String NAME = "ports.json";

  private PortsFile() {}

  static void write(Path dataDir, int grpcPort, int httpPort) throws IOException {
    String json =
        "{\"pid\":"
            + ProcessHandle.current().pid()
            + ",\"grpc\":"
            + grpcPort
            + ",\"http\":"
            + httpPort
            + "}"
            + System.lineSeparator();
    Path tmp = dataDir.resolve(NAME + ".tmp");
    Files.writeString(tmp, json, StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dataDir.resolve(NAME),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }
}
