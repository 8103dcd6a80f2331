package dev.botfleet.agent.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.botfleet.agent.exec.RunResult.Outcome;
import dev.botfleet.agent.flows.InstalledFlows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Runs real shell-script flows, as the agent would. */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "flows are POSIX shell scripts")
class FlowRunnerTest {
  private static final Duration MINUTE = Duration.ofMinutes(1);

  @TempDir Path temp;
  private Path flowsDir;
  private FlowRunner runner;
  private final Recorder recorder = new Recorder();

  @BeforeEach
  void setUp() throws IOException {
    flowsDir = Files.createDirectories(temp.resolve("flows"));
    runner = runner(4096);
  }

  @AfterEach
  void tearDown() {
    runner.close();
  }

  private FlowRunner runner(int logTailBytes) {
    return new FlowRunner(
        new InstalledFlows(flowsDir),
        RunListener.NONE,
        Clock.systemUTC(),
        logTailBytes,
        Duration.ofMillis(500));
  }

  private Path flow(String name, String script) throws IOException {
    return flow(flowsDir, name, script);
  }

  private static Path flow(Path dir, String name, String script) throws IOException {
    Path folder = Files.createDirectories(dir.resolve(name));
    Path run = Files.writeString(folder.resolve("run"), "#!/bin/sh\n" + script);
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    return folder;
  }

  private RunResult run(String runId, String flow, Map<String, String> inputs, Duration timeout)
      throws Exception {
    RunHandle handle = runner.start(new RunRequest(runId, flow, inputs, timeout), recorder);
    return handle.result().get(20, TimeUnit.SECONDS);
  }

  @Test
  void a4_successful_flow_reports_exit_code_outputs_and_log_tail() throws Exception {
    flow(
        "invoice",
        "echo starting\n"
            + "echo oops >&2\n"
            + "printf '{\"invoice\": \"INV-7\", \"total\": 12.5, \"count\": 3, \"ok\": true,"
            + " \"lines\": [1, 2], \"none\": null}' > \"$BOTFLEET_OUTPUT\"\n"
            + "echo done\n");

    Instant before = Instant.now();
    RunResult result = run("r-ok", "invoice", Map.of(), MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(result.succeeded()).isTrue();
    assertThat(result.exitCode()).isZero();
    assertThat(result.failureReason()).isNull();
    assertThat(result.outputs())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "invoice", "INV-7",
                "total", "12.5",
                "count", "3",
                "ok", "true",
                "lines", "[1,2]",
                "none", "null"));
    assertThat(result.logTail()).isEqualTo("starting\noops\ndone\n");
    assertThat(result.startedAt()).isAfterOrEqualTo(before);
    assertThat(result.endedAt()).isAfterOrEqualTo(result.startedAt());
    assertThat(result.message()).startsWith("flow 'invoice' succeeded in ");
  }

  @Test
  void a4_inputs_arrive_on_stdin_as_json_and_as_environment_variables() throws Exception {
    Path folder =
        flow(
            "echo-inputs",
            "read -r json\n"
                + "echo \"stdin=$json\"\n"
                + "echo \"customer=$BOTFLEET_INPUT_CUSTOMER_ID\"\n"
                + "echo \"note=$BOTFLEET_INPUT_NOTE\"\n"
                + "echo \"run=$BOTFLEET_RUN_ID flow=$BOTFLEET_FLOW\"\n"
                + "echo \"cwd=$(pwd -P)\"\n");
    Map<String, String> inputs = Map.of("customer-id", "42", "note", "héllo \"wörld\" <&>");

    RunResult result = run("r-inputs", "echo-inputs", inputs, MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
    List<String> lines = result.logTail().lines().toList();
    Struct.Builder stdin = Struct.newBuilder();
    JsonFormat.parser().merge(lines.get(0).substring("stdin=".length()), stdin);
    assertThat(stdin.getFieldsMap()).hasSize(2);
    assertThat(stdin.getFieldsMap().get("customer-id").getStringValue()).isEqualTo("42");
    assertThat(stdin.getFieldsMap().get("note").getStringValue()).isEqualTo(inputs.get("note"));
    assertThat(lines.subList(1, 5))
        .containsExactly(
            "customer=42",
            "note=" + inputs.get("note"),
            "run=r-inputs flow=echo-inputs",
            "cwd=" + folder.toRealPath());
  }

  @Test
  void a4_non_zero_exit_fails_with_the_exit_code_as_reason() throws Exception {
    flow("broken", "echo 'cannot find the invoice window'\nexit 3\n");

    RunResult result = run("r-exit", "broken", Map.of(), MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.failureReason()).isEqualTo("EXIT_CODE_3");
    assertThat(result.message()).contains("exited with code 3");
    assertThat(result.logTail()).isEqualTo("cannot find the invoice window\n");
    assertThat(result.startedAt()).isNotNull();
  }

  @Test
  void a4_timeout_kills_the_whole_process_tree() throws Exception {
    flow("hangs", "sleep 300 &\necho $! > \"$BOTFLEET_INPUT_PID_FILE\"\nwait\n");
    Path pidFile = temp.resolve("grandchild.pid");

    long started = System.nanoTime();
    RunResult result =
        run("r-timeout", "hangs", Map.of("pid_file", pidFile.toString()), Duration.ofSeconds(1));

    assertThat(result.outcome()).isEqualTo(Outcome.TIMED_OUT);
    assertThat(result.failureReason()).isEqualTo("TIMED_OUT");
    assertThat(result.message()).contains("timed out after 1s").contains("process tree killed");
    assertThat(result.exitCode()).isNotNull();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
    assertGone(pid(pidFile));
  }

  @Test
  void a4_cancel_kills_the_whole_process_tree() throws Exception {
    flow("long", "sleep 300 &\necho $! > \"$BOTFLEET_INPUT_PID_FILE\"\nwait\n");
    Path pidFile = temp.resolve("grandchild.pid");
    RunHandle handle =
        runner.start(
            new RunRequest("r-cancel", "long", Map.of("pid_file", pidFile.toString()), MINUTE),
            recorder);
    await().atMost(Duration.ofSeconds(5)).until(() -> hasPid(pidFile));

    assertThat(handle.cancel()).isTrue();
    RunResult result = handle.result().get(10, TimeUnit.SECONDS);

    assertThat(result.outcome()).isEqualTo(Outcome.CANCELLED);
    assertThat(result.failureReason()).isEqualTo("CANCELLED");
    assertThat(result.message()).contains("cancelled on request").contains("process tree killed");
    assertGone(pid(pidFile));
    assertThat(recorder.events).containsExactly("started r-cancel", "finished r-cancel CANCELLED");
  }

  @Test
  void a4_a_flow_ignoring_the_polite_stop_is_killed_after_the_grace() throws Exception {
    flow(
        "stubborn",
        "trap '' TERM\nsleep 300 &\necho $! > \"$BOTFLEET_INPUT_PID_FILE\"\n"
            + "while true; do wait; done\n");
    Path pidFile = temp.resolve("grandchild.pid");
    RunHandle handle =
        runner.start(
            new RunRequest(
                "r-stubborn", "stubborn", Map.of("pid_file", pidFile.toString()), MINUTE),
            recorder);
    await().atMost(Duration.ofSeconds(5)).until(() -> hasPid(pidFile));

    handle.cancel();
    RunResult result = handle.result().get(10, TimeUnit.SECONDS);

    assertThat(result.outcome()).isEqualTo(Outcome.CANCELLED);
    assertThat(result.exitCode()).isEqualTo(137); // 128 + SIGKILL
    assertGone(pid(pidFile));
  }

  @Test
  void a4_cancel_after_finish_is_a_no_op() throws Exception {
    flow("quick", "exit 0\n");
    RunHandle handle = runner.start(new RunRequest("r-quick", "quick", Map.of(), MINUTE), recorder);
    RunResult result = handle.result().get(10, TimeUnit.SECONDS);

    assertThat(handle.cancel()).isFalse();
    assertThat(handle.isDone()).isTrue();
    assertThat(handle.result().get()).isSameAs(result);
    assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(runner.handle("r-quick")).isEmpty();
  }

  @Test
  void a4_log_tail_keeps_only_the_last_bytes_of_a_chatty_flow() throws Exception {
    // ~3 MiB of output: the flow must never block on a full pipe, and memory stays bounded.
    flow("chatty", "head -c 3000000 /dev/zero | tr '\\000' 'x'\necho\necho END-OF-FLOW\n");

    RunResult result = run("r-chatty", "chatty", Map.of(), MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(result.logTail().getBytes(StandardCharsets.UTF_8)).hasSize(4096);
    assertThat(result.logTail()).endsWith("xxx\nEND-OF-FLOW\n");
    assertThat(result.message()).contains("log tail: last 4096 of 3000013 bytes");
  }

  @Test
  void a4_default_log_tail_is_64_kib() throws Exception {
    runner.close();
    runner = new FlowRunner(new InstalledFlows(flowsDir));
    flow("chatty", "head -c 1000000 /dev/zero | tr '\\000' 'y'\n");

    RunResult result = run("r-default-tail", "chatty", Map.of(), MINUTE);

    assertThat(result.logTail()).hasSize(FlowRunner.DEFAULT_LOG_TAIL_BYTES).matches("y+");
  }

  @Test
  void a4_unparsable_outputs_leave_outputs_empty_and_do_not_change_the_outcome() throws Exception {
    flow("bad-output", "echo '[1, 2' > \"$BOTFLEET_OUTPUT\"\n");
    flow("array-output", "echo '[1, 2]' > \"$BOTFLEET_OUTPUT\"\nexit 4\n");

    RunResult bad = run("r-bad", "bad-output", Map.of(), MINUTE);
    RunResult array = run("r-array", "array-output", Map.of(), MINUTE);

    assertThat(bad.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(bad.outputs()).isEmpty();
    assertThat(bad.message()).contains("outputs ignored: BOTFLEET_OUTPUT is not a JSON object");
    assertThat(array.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(array.failureReason()).isEqualTo("EXIT_CODE_4");
    assertThat(array.outputs()).isEmpty();
    assertThat(array.message()).contains("outputs ignored");
  }

  @Test
  void a4_run_folder_is_temporary_and_deleted_after_the_run() throws Exception {
    flow(
        "scratch",
        "echo data > \"$BOTFLEET_RUN_DIR/scratch.txt\"\n"
            + "printf '{\"dir\": \"%s\"}' \"$BOTFLEET_RUN_DIR\" > \"$BOTFLEET_OUTPUT\"\n");

    RunResult result = run("r-scratch", "scratch", Map.of(), MINUTE);

    Path runDir = Path.of(result.outputs().get("dir"));
    assertThat(runDir.getFileName().toString()).startsWith("botfleet-run-");
    assertThat(runDir).doesNotExist();
  }

  @Test
  void a4_a_flow_that_cannot_be_started_fails_without_a_start() throws Exception {
    Path folder = flow("no-interpreter", "exit 0\n");
    Files.writeString(folder.resolve("run"), "#!/nonexistent/interpreter\n");

    RunResult result = run("r-nostart", "no-interpreter", Map.of(), MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.failureReason()).startsWith("START_FAILED: ");
    assertThat(result.exitCode()).isNull();
    assertThat(result.startedAt()).isNull();
    assertThat(recorder.events).containsExactly("finished r-nostart FAILED");
  }

  @Test
  void a5_unknown_flow_fails_without_executing_anything() throws Exception {
    flow("installed", "exit 0\n");

    RunResult result = run("r-unknown", "not-installed", Map.of(), MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.failureReason()).isEqualTo("FLOW_NOT_INSTALLED");
    assertThat(result.message())
        .contains("flow 'not-installed' is not installed on this machine")
        .contains("nothing was run");
    assertThat(result.exitCode()).isNull();
    assertThat(result.startedAt()).isNull();
    assertThat(result.logTail()).isEmpty();
    assertThat(recorder.events).containsExactly("finished r-unknown FAILED");
  }

  @Test
  void a5_traversal_name_fails_as_invalid_and_executes_nothing() throws Exception {
    Path marker = temp.resolve("ran.marker");
    // A real flow right beside the flows dir, which "../evil" would reach.
    flow(temp, "evil", "touch '" + marker + "'\n");

    RunResult result = run("r-evil", "../evil", Map.of(), MINUTE);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.failureReason())
        .startsWith("INVALID_FLOW_NAME: flow name: '../evil' has a path separator");
    assertThat(result.startedAt()).isNull();
    assertThat(marker).doesNotExist();
  }

  @Test
  void a5_symlink_escaping_the_flows_dir_fails_as_invalid_and_executes_nothing() throws Exception {
    Path marker = temp.resolve("ran.marker");
    Path outside = flow(temp, "outside", "touch '" + marker + "'\n");
    Files.createSymbolicLink(flowsDir.resolve("sneaky"), outside);

    RunResult result = run("r-sneaky", "sneaky", Map.of(), MINUTE);

    assertThat(result.failureReason()).startsWith("INVALID_FLOW_NAME: flow 'sneaky'");
    assertThat(marker).doesNotExist();
  }

  @Test
  void a4_a_run_id_in_progress_cannot_be_started_twice() throws Exception {
    flow("long", "sleep 30\n");
    RunHandle first = runner.start(new RunRequest("r-dup", "long", Map.of(), MINUTE), recorder);

    assertThatThrownBy(
            () -> runner.start(new RunRequest("r-dup", "long", Map.of(), MINUTE), recorder))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run 'r-dup': already in progress");
    assertThat(runner.activeRunIds()).containsExactly("r-dup");
    assertThat(runner.handle("r-dup")).containsSame(first);
    first.cancel();
  }

  @Test
  void a4_close_cancels_runs_in_progress_and_refuses_new_ones() throws Exception {
    flow("long", "sleep 300\n");
    RunHandle handle = runner.start(new RunRequest("r-close", "long", Map.of(), MINUTE), recorder);
    await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("started r-close"));

    runner.close();

    RunResult result = handle.result().getNow(null);
    assertThat(result).isNotNull();
    assertThat(result.outcome()).isEqualTo(Outcome.CANCELLED);
    assertThat(result.message()).contains("agent is shutting down");
    assertThatThrownBy(
            () -> runner.start(new RunRequest("r-late", "long", Map.of(), MINUTE), recorder))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void a4_observer_and_listener_hear_start_then_finish() throws Exception {
    Recorder observer = new Recorder();
    runner.close();
    runner =
        new FlowRunner(
            new InstalledFlows(flowsDir),
            observer,
            Clock.systemUTC(),
            1024,
            Duration.ofMillis(500));
    flow("quick", "exit 0\n");

    run("r-events", "quick", Map.of(), MINUTE);

    assertThat(observer.events).containsExactly("started r-events", "finished r-events SUCCEEDED");
    assertThat(recorder.events).containsExactly("started r-events", "finished r-events SUCCEEDED");
  }

  @Test
  void a4_output_values_render_strings_as_is_and_the_rest_as_json() throws Exception {
    assertThat(
            FlowRunner.parseOutputs(
                "{\"s\": \"x\", \"i\": 3, \"big\": 1e20, \"f\": 0.25,"
                    + " \"o\": {\"a\": [true, 2, \"q\\\"\", null]}}"))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "s", "x",
                "i", "3",
                "big", "100000000000000000000",
                "f", "0.25",
                "o", "{\"a\":[true,2,\"q\\\"\",null]}"));
    assertThat(FlowRunner.parseOutputs("  \n")).isEmpty();
  }

  @Test
  void a4_input_keys_become_safe_environment_names() {
    assertThat(FlowRunner.inputEnvName("customerId")).isEqualTo("BOTFLEET_INPUT_CUSTOMERID");
    assertThat(FlowRunner.inputEnvName("order.no-2")).isEqualTo("BOTFLEET_INPUT_ORDER_NO_2");
    assertThat(FlowRunner.inputEnvName("naïve key")).isEqualTo("BOTFLEET_INPUT_NA_VE_KEY");
  }

  @Test
  void a4_run_request_rejects_bad_values_with_what_was_expected() {
    assertThatThrownBy(() -> new RunRequest(" ", "f", Map.of(), MINUTE))
        .hasMessageContaining("runId: blank");
    assertThatThrownBy(() -> new RunRequest("r", "f", Map.of(), Duration.ZERO))
        .hasMessageContaining("timeout: PT0S (expected: > 0)");
    assertThatThrownBy(() -> new RunRequest("r", "f", Map.of("", "v"), MINUTE))
        .hasMessageContaining("inputs: empty key");
  }

  // ---- helpers ----

  private static boolean hasPid(Path file) throws IOException {
    return Files.exists(file) && !Files.readString(file).isBlank();
  }

  private static long pid(Path file) throws IOException {
    return Long.parseLong(Files.readString(file).strip());
  }

  private static void assertGone(long pid) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> ProcessHandle.of(pid).map(h -> !ProcessTree.isAlive(h)).orElse(true));
  }

  private static final class Recorder implements RunListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onStarted(String runId, Instant startedAt) {
      events.add("started " + runId);
    }

    @Override
    public void onFinished(RunResult result) {
      events.add("finished " + result.runId() + " " + result.outcome());
    }
  }
}
