package dev.botfleet.agent.flows;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * A desktop flow installed on this machine (SPEC A5).
 *
 * @param name the flow's name, which is also its folder's name
 * @param directory the flow's folder, a real path inside the flows directory
 * @param command the command that launches the flow, first element the program
 */
public record InstalledFlow(String name, Path directory, List<String> command) {
  public InstalledFlow {
    requireNonNull(name, "name");
    requireNonNull(directory, "directory");
    command = List.copyOf(requireNonNull(command, "command"));
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command: empty (expected: at least the program)");
    }
  }
}
