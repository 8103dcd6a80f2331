package dev.botfleet.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.botfleet.common.MutableClock;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: {@code run submit-batch --file runs.jsonl} through the real CLI against a real server:
 * each line is a run or an error with its line number, malformed lines do not stop the others, the
 * exit code says whether every line became a run, long input shows progress on stderr.
 */
class RunBatchCliTest {
  @TempDir Path dir;
  private Orchestrator orchestrator;
  private ManagedChannel agentChannel;
  private ProtocolAgent agent;
  private Cli cli;

  @BeforeEach
  void start() throws Exception {
    Path data = dir.resolve("data");
    // Plaintext on loopback: the protocol agent enrols without a CSR. TLS is CliTest's subject.
    OrchestratorConfig config =
        new OrchestratorConfig(
            data,
            "127.0.0.1",
            0,
            0,
            null,
            null,
            null,
            4,
            new MutableClock(Instant.parse("2026-03-02T10:00:00Z")));
    orchestrator = Orchestrator.start(config);
    cli = Cli.forServer("127.0.0.1:" + orchestrator.grpcPort(), data).plaintext();
    cli.run("env", "create", "prod", "--type", "PRODUCTION").ok();
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "4").ok();
    cli.run("capacity", "allocate", "--sku", "PROCESS", "--env", "prod", "--quantity", "4").ok();
    String token = joinToken(cli.run("machine", "join-token", "--env", "prod").ok().out());
    agentChannel =
        ManagedChannelBuilder.forAddress("127.0.0.1", orchestrator.grpcPort())
            .usePlaintext()
            .build();
    agent = ProtocolAgent.enroll(agentChannel, token, "m1", 2).connect();
  }

  /** The token is the first line of {@code machine join-token}. */
  private static String joinToken(String out) {
    String token = out.lines().findFirst().orElseThrow().strip();
    assertThat(token).startsWith("bfj_");
    return token;
  }

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    if (agentChannel != null) {
      agentChannel.shutdownNow();
    }
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private static List<Map<String, Value>> results(String json) {
    List<Map<String, Value>> out = new ArrayList<>();
    Cli.parse(json, Struct.newBuilder())
        .getFieldsOrThrow("results")
        .getListValue()
        .getValuesList()
        .forEach(v -> out.add(v.getStructValue().getFieldsMap()));
    return out;
  }

  private static Map<String, Value> error(Map<String, Value> r) {
    return r.get("error").getStructValue().getFieldsMap();
  }

  @Test
  void issue_9_each_line_becomes_a_run_or_an_error_with_its_line_number() throws Exception {
    Path file = dir.resolve("runs.jsonl");
    Files.writeString(
        file,
        String.join(
            "\n",
            "{\"env\": \"prod\", \"flow\": \"noop\", \"machine\": \"m1\", \"input\": {\"invoice\": \"42\"},"
                + " \"idempotency-key\": \"inv-42\"}",
            "this is not json",
            "{\"env\": \"prod\", \"flow\": \"noop\", \"machine\": \"m1\", \"priority\": \"high\","
                + " \"queue-timeout\": \"10m\", \"idempotency-key\": \"inv-43\"}",
            "",
            "{\"env\": \"prod\", \"flow\": \"noop\", \"machine\": \"nope\"}",
            "{\"env\": \"prod\", \"flow\": \"noop\", \"machine\": \"m1\", \"colour\": \"red\"}",
            "{\"env\": \"prod\", \"flow\": \"noop\", \"group\": \"g\", \"machine\": \"m1\"}",
            "{\"env\": \"prod\", \"flow\": \"noop\", \"machine\": \"m1\", \"queue-timeout\": \"soon\"}",
            ""));

    Cli.Result table = cli.run("run", "submit-batch", "--file", file.toString());
    assertThat(table.exitCode()).as(table.toString()).isEqualTo(1);
    assertThat(table.out()).startsWith("LINE").contains("RUN").contains("ERROR");
    assertThat(table.out().lines().filter(l -> l.matches("^1\\s+run_\\S+\\s+QUEUED.*"))).hasSize(1);
    assertThat(table.out())
        .containsPattern("(?m)^2\\s+INVALID_ARGUMENT: line 2: not a JSON object");
    assertThat(table.out()).containsPattern("(?m)^5\\s+NOT_FOUND MACHINE_NOT_FOUND: ");
    assertThat(table.out()).contains("line 6: unknown field 'colour'");
    assertThat(table.out()).contains("line 7: give exactly one of machine and group");
    assertThat(table.out()).contains("line 8: queue-timeout 'soon'");
    assertThat(table.err()).contains("error: 5 of 7 lines did not become runs");

    // The same file again: the lines with keys return their runs (R6), JSON output.
    Cli.Result again = cli.jsonResult("run", "submit-batch", "--file", file.toString());
    assertThat(again.exitCode()).isEqualTo(1);
    List<Map<String, Value>> rs = results(again.out());
    assertThat(rs)
        .extracting(r -> (int) r.get("line").getNumberValue())
        .containsExactly(1, 2, 3, 5, 6, 7, 8);
    assertThat(rs.get(0).get("created").getBoolValue()).isFalse();
    assertThat(rs.get(0).get("run_id").getStringValue()).startsWith("run_");
    assertThat(rs.get(2).get("created").getBoolValue()).isFalse();
    assertThat(error(rs.get(3)).get("reason").getStringValue()).isEqualTo("MACHINE_NOT_FOUND");
    assertThat(error(rs.get(3)).get("code").getStringValue()).isEqualTo("NOT_FOUND");
    assertThat(error(rs.get(1)).get("message").getStringValue()).contains("line 2");
    String runId = rs.get(0).get("run_id").getStringValue();
    assertThat(cli.run("run", "show", runId).ok().out()).contains("invoice=42");
    // Only the two keyed runs exist: nothing was submitted twice.
    assertThat(
            cli.run("run", "list", "--env", "prod")
                .ok()
                .out()
                .lines()
                .filter(l -> l.startsWith("run_")))
        .hasSize(2);
  }

  @Test
  void issue_9_long_input_goes_in_chunks_with_progress_on_stderr() throws Exception {
    Path file = dir.resolve("many.jsonl");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 1500; i++) {
      b.append("{\"env\": \"prod\", \"flow\": \"noop\", \"machine\": \"m1\"}\n");
    }
    Files.writeString(file, b);

    Cli.Result r =
        cli.jsonResult(
            "run", "submit-batch", "--file", file.toString(), "--idempotency-prefix", "nightly");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err())
        .contains("submitted 1000 of 1500 runs (0 lines failed so far)")
        .contains("submitted 1500 of 1500 runs");
    List<Map<String, Value>> rs = results(r.out());
    assertThat(rs).hasSize(1500).allMatch(x -> x.get("created").getBoolValue());
    // The prefix made the lines' keys: the same file again submits nothing new.
    Cli.Result again =
        cli.jsonResult(
            "run", "submit-batch", "--file", file.toString(), "--idempotency-prefix", "nightly");
    assertThat(results(again.out()))
        .hasSize(1500)
        .noneMatch(x -> x.get("created").getBoolValue())
        .extracting(x -> x.get("run_id").getStringValue())
        .containsExactlyElementsOf(rs.stream().map(x -> x.get("run_id").getStringValue()).toList());
  }
}
