package dev.botfleet.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Real desktop flows for the agents: {@code <flows-dir>/<name>/run}, POSIX shell scripts.
 *
 * <ul>
 *   <li>{@code echo}: prints its inputs (stdin JSON and {@code BOTFLEET_INPUT_GREETING}), writes
 *       outputs JSON to {@code $BOTFLEET_OUTPUT}; if the agent was started with {@code E2E_LEDGER}
 *       it appends {@code <run id> <start ns> <end ns>} to that file; optional input {@code pause}
 *       (seconds) keeps it busy that long;
 *   <li>{@code sleep}: writes its own pid to the file named by input {@code pidfile}, starts a
 *       grandchild {@code sleep $BOTFLEET_INPUT_SECONDS} whose pid goes to input {@code childfile},
 *       waits for it, then writes input {@code donefile} (the time it finished, ms);
 *   <li>{@code fail}: prints a line and exits 3;
 *   <li>{@code big}: writes 100 kB of outputs (the agent accepts up to 1 MiB);
 *   <li>{@code ghost}: a folder whose {@code run} is not executable, so it is not installed; if it
 *       were ever run it would create {@code ghost-ran} next to the flows folder.
 * </ul>
 */
final class Flows {
  static final String ECHO =
      """
      #!/bin/sh
      start=$(date +%s%N)
      read -r inputs
      echo "inputs: $inputs"
      echo "greeting: $BOTFLEET_INPUT_GREETING"
      echo "run: $BOTFLEET_RUN_ID flow: $BOTFLEET_FLOW"
      if [ -n "$BOTFLEET_INPUT_PAUSE" ]; then sleep "$BOTFLEET_INPUT_PAUSE"; fi
      printf '{"echoed":"%s","run_id":"%s","count":3}' "$BOTFLEET_INPUT_GREETING" "$BOTFLEET_RUN_ID" > "$BOTFLEET_OUTPUT"
      if [ -n "$E2E_LEDGER" ]; then echo "$BOTFLEET_RUN_ID $start $(date +%s%N)" >> "$E2E_LEDGER"; fi
      exit 0
      """;

  static final String SLEEP =
      """
      #!/bin/sh
      echo $$ > "$BOTFLEET_INPUT_PIDFILE"
      ( sleep "$BOTFLEET_INPUT_SECONDS" & echo $! > "$BOTFLEET_INPUT_CHILDFILE"; wait ) &
      echo "sleeping $BOTFLEET_INPUT_SECONDS s as pid $$"
      wait
      date +%s%3N > "$BOTFLEET_INPUT_DONEFILE"
      echo "slept"
      exit 0
      """;

  static final String FAIL =
      """
      #!/bin/sh
      echo "about to fail on purpose"
      exit 3
      """;

  static final String BIG =
      """
      #!/bin/sh
      printf '{"blob":"%s"}' "$(head -c 100000 /dev/zero | tr '\\0' x)" > "$BOTFLEET_OUTPUT"
      echo "wrote $(wc -c < "$BOTFLEET_OUTPUT") bytes of outputs"
      """;

  static final String GHOST =
      """
      #!/bin/sh
      touch "$(dirname "$0")/../../ghost-ran"
      """;

  /**
   * The flow of the fault-injection test (issue 9): appends {@code start <run id> <attempt>
   * <machine> <pid> <epoch ns>} to {@code $E2E_LEDGER} when it starts and the same with {@code end}
   * when it ends, after sleeping input {@code seconds}. The agent passes the run id but no attempt,
   * so the attempt is {@code $BOTFLEET_ATTEMPT} or {@code -}; the machine is the agent's {@code
   * $E2E_MACHINE}. Its pid is in {@code $E2E_PIDS/<pid>.pid} while it runs, for the clean-up.
   */
  static final String LEDGER =
      """
      #!/bin/sh
      echo "start $BOTFLEET_RUN_ID ${BOTFLEET_ATTEMPT:--} $E2E_MACHINE $$ $(date +%s%N)" >> "$E2E_LEDGER"
      echo $$ > "$E2E_PIDS/$$.pid"
      sleep "$BOTFLEET_INPUT_SECONDS"
      echo "end $BOTFLEET_RUN_ID ${BOTFLEET_ATTEMPT:--} $E2E_MACHINE $$ $(date +%s%N)" >> "$E2E_LEDGER"
      rm -f "$E2E_PIDS/$$.pid"
      exit 0
      """;

  private Flows() {}

  /** A flows folder holding the {@link #LEDGER} flow under each of {@code names}. */
  static Path installLedger(Path flowsDir, String... names) {
    try {
      Files.createDirectories(flowsDir);
      for (String name : names) {
        write(flowsDir, name, LEDGER, true);
      }
      return flowsDir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A flows folder with echo, sleep, fail, big (installed) and ghost (not executable). */
  static Path install(Path flowsDir) {
    try {
      Files.createDirectories(flowsDir);
      write(flowsDir, "echo", ECHO, true);
      write(flowsDir, "sleep", SLEEP, true);
      write(flowsDir, "fail", FAIL, true);
      write(flowsDir, "big", BIG, true);
      write(flowsDir, "ghost", GHOST, false);
      return flowsDir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path flowsDir, String name, String script, boolean executable)
      throws IOException {
    Path dir = Files.createDirectories(flowsDir.resolve(name));
    Path run = dir.resolve("run");
    Files.writeString(run, script);
    Files.setPosixFilePermissions(
        run, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
  }
}
