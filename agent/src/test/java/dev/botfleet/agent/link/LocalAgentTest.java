package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AssignAck;
import dev.botfleet.proto.v1.Hello;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunUpdate;
import dev.botfleet.testing.FakeOrchestrator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** A real agent (processes, disk) against a scripted orchestrator on a real gRPC server. */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "test flows are POSIX shell scripts")
class LocalAgentTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path temp;
  private Path flowsDir;
  private Path dataDir;
  private FakeOrchestrator orchestrator;
  private final List<LocalAgent> agents = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    flowsDir = Files.createDirectories(temp.resolve("flows"));
    dataDir = temp.resolve("agent-data");
    flow(
        "ok",
        "echo \"hello $BOTFLEET_INPUT_NAME\"\nprintf '{\"greeting\":\"hi\"}' > \"$BOTFLEET_OUTPUT\"\n");
    flow("sleepy", "echo started\nsleep 30\n");
    flow("slow", "sleep 1\necho done\n");
    orchestrator = new FakeOrchestrator();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (LocalAgent agent : agents) {
      agent.close();
      agent.runner().close();
    }
    orchestrator.close();
  }

  private void flow(String name, String script) throws IOException {
    Path folder = Files.createDirectories(flowsDir.resolve(name));
    Path run = Files.writeString(folder.resolve("run"), "#!/bin/sh\n" + script);
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private LocalAgent.Builder agentBuilder() {
    return LocalAgent.builder()
        .server(orchestrator.target())
        .insecurePlaintext(true) // the fake orchestrator serves plaintext
        .flowsDir(flowsDir)
        .dataDir(dataDir)
        .maxSessions(2)
        .machineName("box-1")
        .backoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(400)));
  }

  private LocalAgent startAgent(LocalAgent.Builder builder) {
    LocalAgent agent = builder.start();
    agents.add(agent);
    return agent;
  }

  private LocalAgent enrolledAndConnected() {
    LocalAgent agent = startAgent(agentBuilder().joinToken(orchestrator.newJoinToken()));
    await().atMost(WAIT).until(() -> agent.link().connected());
    return agent;
  }

  private static List<AgentMessage.BodyCase> kinds(List<AgentMessage> messages, String runId) {
    return messages.stream()
        .filter(
            m ->
                (m.hasAssignAck() && m.getAssignAck().getRunId().equals(runId))
                    || (m.hasRunUpdate() && m.getRunUpdate().getRunId().equals(runId)))
        .map(AgentMessage::getBodyCase)
        .toList();
  }

  // ---- A1 enrolment ----

  @Test
  void a1_enrolment_stores_an_owner_only_credential_and_a_restart_does_not_enrol_again()
      throws Exception {
    LocalAgent first = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    assertThat(orchestrator.enrollCalls).hasValue(1);
    assertThat(orchestrator.enrollments.get(0).getMachineName()).isEqualTo("box-1");
    assertThat(orchestrator.enrollments.get(0).getCapacity().getInstalledFlowsList())
        .containsExactly("ok", "sleepy", "slow");
    Path file = dataDir.resolve(MachineCredential.FILE);
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    MachineCredential stored = MachineCredential.load(dataDir).orElseThrow();
    assertThat(stored.machineId()).isEqualTo(machine);
    assertThat(stored.credential()).isEqualTo(orchestrator.credentialOf(machine));
    assertThat(stored.environment()).isEqualTo(FakeOrchestrator.ENVIRONMENT);
    assertThat(stored.server()).isEqualTo(orchestrator.target());
    assertThat(stored.toString()).doesNotContain(stored.credential());
    first.close();

    // Restart: no token needed; a (spent) token given anyway is ignored.
    LocalAgent second = startAgent(agentBuilder().joinToken("spent-token"));
    await().atMost(WAIT).until(() -> second.link().connected());
    assertThat(orchestrator.enrollCalls).hasValue(1);
    assertThat(orchestrator.hellos(machine)).hasSize(2);
    assertThat(orchestrator.hellos(machine).get(1).getCredential())
        .isEqualTo(orchestrator.credentialOf(machine));

    // Without --server the enrolled server is used.
    second.close();
    LocalAgent third = startAgent(agentBuilder().server(null));
    assertThat(third.server()).isEqualTo(orchestrator.target());
    await().atMost(WAIT).until(() -> third.link().connected());
  }

  @Test
  void a1_start_without_credential_or_join_token_fails_naming_the_data_dir() {
    assertThatThrownBy(() -> startAgent(agentBuilder()))
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("no credential in " + dataDir)
        .hasMessageContaining("no --join-token");
    assertThat(orchestrator.enrollCalls).hasValue(0);
  }

  @Test
  void a1_a_refused_join_token_fails_with_the_orchestrators_message() {
    assertThatThrownBy(() -> startAgent(agentBuilder().joinToken("not-a-token")))
        .isInstanceOfSatisfying(
            BotfleetException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
        .hasMessageContaining("join token is unknown, spent, expired or revoked");
    assertThat(Files.exists(dataDir.resolve(MachineCredential.FILE))).isFalse();
  }

  // ---- A3 stream, A4 runs ----

  @Test
  void a4_assign_is_acknowledged_then_started_then_finished_with_outputs_and_log_tail()
      throws IOException {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    Hello hello = orchestrator.hellos(machine).get(0);
    assertThat(hello.getRunningRunIdsList()).isEmpty();
    assertThat(hello.getCapacity().getMaxSessions()).isEqualTo(2);
    assertThat(hello.getCapacity().getInstalledFlowsList()).contains("ok");

    orchestrator.assign(machine, "run_1", 3, "ok", Map.of("name", "Ada"));

    await().atMost(WAIT).until(() -> !orchestrator.finished("run_1").isEmpty());
    assertThat(kinds(orchestrator.messages(machine), "run_1"))
        .containsExactly(
            AgentMessage.BodyCase.ASSIGN_ACK,
            AgentMessage.BodyCase.RUN_UPDATE,
            AgentMessage.BodyCase.RUN_UPDATE);
    AssignAck ack = orchestrator.acks("run_1").get(0);
    assertThat(ack.getAccepted()).isTrue();
    assertThat(ack.getAttempt()).isEqualTo(3);
    RunUpdate started = orchestrator.started("run_1").get(0);
    assertThat(started.getAttempt()).isEqualTo(3);
    RunUpdate report = orchestrator.finished("run_1").get(0);
    RunFinished finished = report.getFinished();
    assertThat(report.getAttempt()).isEqualTo(3);
    assertThat(finished.getOutcome()).isEqualTo(RunOutcome.RUN_OUTCOME_SUCCEEDED);
    assertThat(finished.hasExitCode()).isTrue();
    assertThat(finished.getExitCode()).isZero();
    assertThat(finished.getOutputsMap()).containsEntry("greeting", "hi");
    assertThat(finished.getLogTail()).contains("hello Ada");
    assertThat(finished.getStartedAt()).isEqualTo(started.getStarted().getStartedAt());
    assertThat(finished.hasEndedAt()).isTrue();
    assertThat(finished.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED);
    // Acknowledged (autoAck), so nothing stays pending; the bot is free again.
    await().atMost(WAIT).until(() -> agent.link().pendingReports().size() == 0);
    assertThat(agent.slots().busy()).isZero();
    assertThat(pendingFiles()).isEmpty();
  }

  @Test
  void a5_a_flow_that_is_not_installed_finishes_failed_without_running() {
    enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_x", "not-here");
    await().atMost(WAIT).until(() -> !orchestrator.finished("run_x").isEmpty());
    RunFinished finished = orchestrator.finished("run_x").get(0).getFinished();
    assertThat(finished.getOutcome()).isEqualTo(RunOutcome.RUN_OUTCOME_FAILED);
    assertThat(finished.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_FLOW_NOT_INSTALLED);
    assertThat(finished.hasExitCode()).isFalse();
    assertThat(orchestrator.started("run_x")).isEmpty();
    assertThat(orchestrator.acks("run_x").get(0).getAccepted()).isTrue();
  }

  @Test
  void r2_with_one_bot_a_second_assign_is_refused_and_a_repeated_one_is_not_started_twice() {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    assertThat(agent.slots().capacity()).isEqualTo(1);
    orchestrator.assign(machine, "run_a", "sleepy");
    await().atMost(WAIT).until(() -> !orchestrator.started("run_a").isEmpty());

    orchestrator.assign(machine, "run_b", "ok");
    orchestrator.assign(machine, "run_a", 2, "sleepy", Map.of());

    await().atMost(WAIT).until(() -> orchestrator.acks("run_a").size() == 2);
    await().atMost(WAIT).until(() -> !orchestrator.acks("run_b").isEmpty());
    AssignAck refused = orchestrator.acks("run_b").get(0);
    assertThat(refused.getAccepted()).isFalse();
    assertThat(refused.getReason()).isEqualTo("NO_FREE_SLOT");
    assertThat(orchestrator.acks("run_a")).allMatch(AssignAck::getAccepted);
    assertThat(orchestrator.started("run_a")).hasSize(1);
    assertThat(agent.slots().busy()).isEqualTo(1);

    // The run is reported under the newest attempt it was assigned with.
    orchestrator.cancel(machine, "run_a");
    await().atMost(WAIT).until(() -> !orchestrator.finished("run_a").isEmpty());
    assertThat(orchestrator.finished("run_a").get(0).getAttempt()).isEqualTo(2);

    // More bots: Settings arrive at any time.
    orchestrator.settings(machine, 2);
    await().atMost(WAIT).until(() -> agent.slots().capacity() == 2);
  }

  @Test
  void r7_cancel_kills_the_running_flow_and_it_reports_cancelled() {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_c", "sleepy");
    await().atMost(WAIT).until(() -> !orchestrator.started("run_c").isEmpty());

    orchestrator.cancel(machine, "run_c");
    orchestrator.cancel(machine, "run_unknown"); // ignored

    await().atMost(WAIT).until(() -> !orchestrator.finished("run_c").isEmpty());
    RunFinished finished = orchestrator.finished("run_c").get(0).getFinished();
    assertThat(finished.getOutcome()).isEqualTo(RunOutcome.RUN_OUTCOME_CANCELLED);
    assertThat(finished.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_CANCELLED_ON_AGENT);
    assertThat(finished.getLogTail()).contains("started");
    assertThat(agent.slots().busy()).isZero();
    assertThat(agent.link().connected()).isTrue();
  }

  @Test
  void a3_heartbeats_follow_the_settings_interval_with_a_rising_sequence_and_busy_bots() {
    enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_h", "sleepy");
    await()
        .atMost(WAIT)
        .until(
            () ->
                heartbeats(machine).size() >= 3
                    && heartbeats(machine).stream().anyMatch(h -> h.getBusyBots() == 1));
    List<dev.botfleet.proto.v1.Heartbeat> beats = heartbeats(machine);
    for (int i = 1; i < beats.size(); i++) {
      assertThat(beats.get(i).getSequence()).isGreaterThan(beats.get(i - 1).getSequence());
    }
    orchestrator.cancel(machine, "run_h");
  }

  private List<dev.botfleet.proto.v1.Heartbeat> heartbeats(String machine) {
    return orchestrator.messages(machine).stream()
        .filter(AgentMessage::hasHeartbeat)
        .map(AgentMessage::getHeartbeat)
        .toList();
  }

  // ---- A6 reconnect and pending reports ----

  @Test
  void a6_a_finished_report_is_resent_after_the_orchestrator_restarts_until_acknowledged()
      throws Exception {
    orchestrator.autoAck = false;
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_p", "ok");
    await().atMost(WAIT).until(() -> orchestrator.finished("run_p").size() == 1);
    assertThat(pendingFiles()).containsExactly("run_p.pb");

    orchestrator.stop();
    await().atMost(WAIT).until(() -> !agent.link().connected());
    orchestrator.restart();

    await().atMost(WAIT).until(() -> orchestrator.finished("run_p").size() == 2);
    assertThat(orchestrator.finished("run_p").get(1))
        .isEqualTo(orchestrator.finished("run_p").get(0));
    orchestrator.ack(machine, "run_p");
    await().atMost(WAIT).until(() -> agent.link().pendingReports().size() == 0);
    assertThat(pendingFiles()).isEmpty();

    // Once acknowledged, a further reconnect does not send it again.
    orchestrator.breakStream(machine);
    await().atMost(WAIT).until(() -> orchestrator.hellos(machine).size() == 3);
    await().atMost(WAIT).until(() -> agent.link().connected());
    assertThat(orchestrator.finished("run_p")).hasSize(2);
  }

  @Test
  void a6_a_run_that_finishes_while_disconnected_is_reported_after_reconnecting() throws Exception {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_d", "slow");
    await().atMost(WAIT).until(() -> !orchestrator.started("run_d").isEmpty());

    orchestrator.stop();
    // The run keeps executing and finishes while the orchestrator is away.
    await().atMost(WAIT).until(() -> agent.link().pendingReports().size() == 1);
    assertThat(orchestrator.finished("run_d")).isEmpty();
    orchestrator.restart();

    await().atMost(WAIT).until(() -> orchestrator.finished("run_d").size() == 1);
    assertThat(orchestrator.finished("run_d").get(0).getFinished().getOutcome())
        .isEqualTo(RunOutcome.RUN_OUTCOME_SUCCEEDED);
    await().atMost(WAIT).until(() -> agent.link().pendingReports().size() == 0);
  }

  @Test
  void a6_after_a_reconnect_hello_lists_the_runs_still_running_and_their_start_is_resent()
      throws Exception {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_r", "sleepy");
    await().atMost(WAIT).until(() -> !orchestrator.started("run_r").isEmpty());
    orchestrator.breakStream(machine);
    await().atMost(WAIT).until(() -> orchestrator.hellos(machine).size() == 2);
    assertThat(orchestrator.hellos(machine).get(1).getRunningRunIdsList()).containsExactly("run_r");
    await().atMost(WAIT).until(() -> agent.link().connected());
    // Its start is reported again on the new stream, same attempt and time.
    await().atMost(WAIT).until(() -> orchestrator.started("run_r").size() == 2);
    assertThat(orchestrator.started("run_r").get(1))
        .isEqualTo(orchestrator.started("run_r").get(0));
    orchestrator.cancel(machine, "run_r");
    await().atMost(WAIT).until(() -> !orchestrator.finished("run_r").isEmpty());
  }

  @Test
  void a6_pending_reports_survive_an_agent_restart() throws Exception {
    orchestrator.autoAck = false;
    LocalAgent first = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_s", "ok");
    await().atMost(WAIT).until(() -> orchestrator.finished("run_s").size() == 1);
    first.close();

    LocalAgent second = startAgent(agentBuilder());
    await().atMost(WAIT).until(() -> orchestrator.finished("run_s").size() == 2);
    assertThat(second.link().pendingReports().all()).hasSize(1);
    orchestrator.ack(machine, "run_s");
    await().atMost(WAIT).until(() -> pendingFiles().isEmpty());

    // An assignment repeated for a run whose report is pending is acknowledged, not re-run.
    orchestrator.autoAck = false;
    orchestrator.assign(machine, "run_t", "ok");
    await().atMost(WAIT).until(() -> orchestrator.finished("run_t").size() == 1);
    orchestrator.assign(machine, "run_t", "ok");
    await().atMost(WAIT).until(() -> orchestrator.finished("run_t").size() == 2);
    assertThat(orchestrator.started("run_t")).hasSize(1);
    assertThat(orchestrator.acks("run_t")).hasSize(2).allMatch(AssignAck::getAccepted);
  }

  // ---- R5 exactly once (issue 9) ----

  @Test
  void r5_an_assign_older_than_an_attempt_already_seen_is_refused_and_not_run() {
    enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.settings(machine, 2);
    orchestrator.assign(machine, "run_f", 2, "slow", Map.of());
    await().atMost(WAIT).until(() -> !orchestrator.started("run_f").isEmpty());
    // Attempt 1 arrives late (re-queued and re-assigned meanwhile): taking it could run it twice.
    orchestrator.assign(machine, "run_f", 1, "slow", Map.of());
    await().atMost(WAIT).until(() -> orchestrator.acks("run_f").size() == 2);
    AssignAck stale = orchestrator.acks("run_f").get(1);
    assertThat(stale.getAccepted()).isFalse();
    assertThat(stale.getAttempt()).isEqualTo(1);
    assertThat(stale.getReason()).isEqualTo(Assignments.STALE_ATTEMPT);
    await().atMost(WAIT).until(() -> !orchestrator.finished("run_f").isEmpty());
    assertThat(orchestrator.started("run_f")).hasSize(1);
    assertThat(orchestrator.finished("run_f").get(0).getAttempt()).isEqualTo(2);
    // After the run ended, the old attempt is still refused.
    orchestrator.assign(machine, "run_f", 1, "slow", Map.of());
    await().atMost(WAIT).until(() -> orchestrator.acks("run_f").size() == 3);
    assertThat(orchestrator.acks("run_f").get(2).getAccepted()).isFalse();
    assertThat(orchestrator.started("run_f")).hasSize(1);
  }

  @Test
  void r5_hello_vouches_for_its_runs_and_names_those_whose_report_is_pending() throws Exception {
    orchestrator.autoAck = false;
    enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    assertThat(orchestrator.hellos(machine).get(0).getDurableAssignments()).isTrue();
    orchestrator.assign(machine, "run_p", "ok");
    await().atMost(WAIT).until(() -> orchestrator.finished("run_p").size() == 1);
    orchestrator.breakStream(machine);
    await().atMost(WAIT).until(() -> orchestrator.hellos(machine).size() == 2);
    assertThat(orchestrator.hellos(machine).get(1).getRunningRunIdsList()).containsExactly("run_p");
  }

  @Test
  void r5_the_journal_names_the_flow_process_of_a_running_run_until_it_ends() throws Exception {
    enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.assign(machine, "run_j", "sleepy");
    await().atMost(WAIT).until(() -> !orchestrator.started("run_j").isEmpty());
    Path entry = dataDir.resolve(LocalAgent.ASSIGNED_DIR).resolve("run_j.assigned");
    await().atMost(WAIT).until(() -> Files.readAllLines(entry).size() >= 4);
    List<String> lines = Files.readAllLines(entry);
    assertThat(lines.get(0)).isEqualTo("1");
    assertThat(lines.get(1)).isEqualTo("run_j");
    // What a restarted agent needs to find and stop the flow a killed agent left running.
    ProcessHandle flow = ProcessHandle.of(Long.parseLong(lines.get(2))).orElseThrow();
    assertThat(flow.isAlive()).isTrue();
    assertThat(flow.info().startInstant().orElseThrow().toEpochMilli())
        .isEqualTo(Long.parseLong(lines.get(3)));
    orchestrator.cancel(machine, "run_j");
    await().atMost(WAIT).until(() -> !orchestrator.finished("run_j").isEmpty());
    assertThat(entry).doesNotExist();
  }

  @Test
  void r5_a_run_interrupted_by_an_agent_crash_is_reported_lost_and_its_process_stopped()
      throws Exception {
    LocalAgent first = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    first.close();
    // What a kill -9 leaves behind: the journal entry of an accepted run whose flow process
    // outlived the agent.
    Process leftover = new ProcessBuilder("sleep", "60").start();
    AssignmentJournal journal =
        AssignmentJournal.inDirectory(dataDir.resolve(LocalAgent.ASSIGNED_DIR));
    journal.accepted("run_k", 3);
    journal.process("run_k", leftover.toHandle());

    startAgent(agentBuilder());

    await().atMost(WAIT).until(() -> orchestrator.finished("run_k").size() == 1);
    RunUpdate lost = orchestrator.finished("run_k").get(0);
    assertThat(lost.getAttempt()).isEqualTo(3);
    assertThat(lost.getFinished().getOutcome()).isEqualTo(RunOutcome.RUN_OUTCOME_FAILED);
    assertThat(lost.getFinished().getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(lost.getFinished().getMessage()).contains("may have run in part");
    assertThat(leftover.waitFor(10, TimeUnit.SECONDS)).isTrue();
    Hello hello = orchestrator.hellos(machine).get(orchestrator.hellos(machine).size() - 1);
    assertThat(hello.getRunningRunIdsList()).contains("run_k");
    assertThat(hello.getDurableAssignments()).isTrue();
    // It is never started again, whatever attempt is re-sent.
    orchestrator.assign(machine, "run_k", 2, "ok", Map.of());
    await().atMost(WAIT).until(() -> !orchestrator.acks("run_k").isEmpty());
    assertThat(orchestrator.acks("run_k").get(0).getAccepted()).isFalse();
    assertThat(orchestrator.started("run_k")).isEmpty();
  }

  @Test
  void a6_the_agent_reconnects_with_backoff_while_the_orchestrator_is_down() throws Exception {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.stop();
    // Several attempts fail (50 ms doubling to 400 ms), none gives up.
    await().atMost(WAIT).until(() -> agent.link().metrics().reconnects() >= 4);
    assertThat(agent.link().connected()).isFalse();
    assertThat(agent.link().terminated()).isNotDone();
    orchestrator.restart();
    await().atMost(WAIT).until(() -> agent.link().connected());
    assertThat(orchestrator.hellos(machine)).hasSize(2);
  }

  @Test
  void a3_a_revoked_credential_stops_the_agent_instead_of_retrying() throws Exception {
    LocalAgent agent = enrolledAndConnected();
    String machine = orchestrator.onlyMachine();
    orchestrator.revoke(machine);
    orchestrator.breakStream(machine);

    assertThatThrownBy(() -> agent.link().terminated().get(15, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(BotfleetException.class)
        .hasMessageContaining("machine credential unknown or revoked");
    int connects = orchestrator.connectCalls.get();
    // For longer than the back-off ceiling, no further attempt may come.
    org.awaitility.Awaitility.await()
        .during(java.time.Duration.ofMillis(600))
        .atMost(java.time.Duration.ofSeconds(5))
        .until(() -> orchestrator.connectCalls.get() == connects);
  }

  @Test
  void o1_link_and_run_metrics_are_registered() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    LocalAgent agent =
        startAgent(agentBuilder().joinToken(orchestrator.newJoinToken()).registry(registry));
    await().atMost(WAIT).until(() -> agent.link().connected());
    await().atMost(WAIT).until(() -> agent.link().metrics().heartbeats() >= 1);
    String scrape = registry.scrape();
    assertThat(scrape)
        .contains("botfleet_agent_connected 1.0")
        .contains("botfleet_agent_reconnects_total 0.0")
        .contains("botfleet_agent_heartbeats_total")
        .contains("botfleet_agent_pending_reports 0.0")
        .contains("botfleet_agent_bots 1.0")
        .contains("botfleet_agent_runs_total{outcome=\"succeeded\"}");
  }

  private List<String> pendingFiles() throws IOException {
    Path dir = dataDir.resolve(LocalAgent.PENDING_DIR);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
