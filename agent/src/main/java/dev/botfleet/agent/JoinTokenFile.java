package dev.botfleet.agent;

import dev.botfleet.agent.link.MachineCredential;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --join-token-file} (issue 12 §3): the join token from a file instead of the command line,
 * where every user of the machine can read it in the process list. Read only while the agent is not
 * enrolled: once it holds its machine credential it never needs the token again, so the file may be
 * gone by then.
 */
final class JoinTokenFile {
  private JoinTokenFile() {}

  /** The token in {@code file} (first line, trimmed); null when the agent is already enrolled. */
  static String read(Path file, Path dataDir) throws IOException {
    if (Files.exists(MachineCredential.file(dataDir))) {
      return null;
    }
    String text = Files.readString(file).strip();
    int newline = text.indexOf('\n');
    String token = (newline < 0 ? text : text.substring(0, newline)).strip();
    if (token.isEmpty()) {
      throw new IOException("the file is empty");
    }
    return token;
  }
}
