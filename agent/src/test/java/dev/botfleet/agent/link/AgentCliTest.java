package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.agent.AgentCli;
import dev.botfleet.testing.FakeOrchestrator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The agent command line, end to end against the scripted orchestrator. */
class AgentCliTest {
  @TempDir Path temp;
  private FakeOrchestrator orchestrator;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = new FakeOrchestrator();
  }

  @AfterEach
  void tearDown() throws Exception {
    orchestrator.close();
  }

  private int run(String... args) {
    CommandLine cli = AgentCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    // The fake orchestrator serves plaintext; TLS enrolment is tested against the real one (e2e).
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = "--insecure-plaintext";
    return cli.execute(all);
  }

  @Test
  void a1_first_start_without_token_exits_non_zero_with_the_reason() {
    int code =
        run(
            "--server",
            orchestrator.target(),
            "--data-dir",
            temp.resolve("d").toString(),
            "--http-port",
            "0");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("no credential in").contains("and no --join-token");
  }

  @Test
  void a1_a_refused_token_exits_non_zero_with_the_orchestrators_message() {
    int code =
        run(
            "--server",
            orchestrator.target(),
            "--join-token",
            "nope",
            "--data-dir",
            temp.resolve("d").toString(),
            "--http-port",
            "0");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("join token is unknown, spent, expired or revoked");
  }

  @Test
  void
      agent_runs_prints_its_banner_serves_metrics_and_exits_non_zero_when_its_credential_is_revoked()
          throws Exception {
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                run(
                    "--server",
                    orchestrator.target(),
                    "--join-token",
                    orchestrator.newJoinToken(),
                    "--data-dir",
                    temp.resolve("d").toString(),
                    "--flows-dir",
                    temp.resolve("flows").toString(),
                    "--max-sessions",
                    "3",
                    "--machine-name",
                    "cli-box",
                    "--http-port",
                    "0",
                    "--http-host",
                    "127.0.0.1"));
    await().atMost(Duration.ofSeconds(15)).until(() -> out.toString().contains("metrics"));
    String banner = out.toString();
    assertThat(banner)
        .contains("machine       cli-box (mach_1)")
        .contains("environment   " + FakeOrchestrator.ENVIRONMENT)
        .contains("orchestrator  " + orchestrator.target());
    Matcher url = Pattern.compile("(http://\\S+/metrics)").matcher(banner);
    assertThat(url.find()).isTrue();
    await().atMost(Duration.ofSeconds(15)).until(() -> orchestrator.streamOpen("mach_1"));

    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create(url.group(1))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("botfleet_agent_connected")
        .contains("jvm_memory_used_bytes");
    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(URI.create(url.group(1).replace("/metrics", "/healthz")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);

    orchestrator.revoke("mach_1");
    orchestrator.breakStream("mach_1");
    assertThat(exit.get(20, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(err.toString()).contains("refused the credential of machine mach_1");
  }

  @Test
  void issue_12_the_join_token_comes_from_a_file_and_is_not_needed_once_enrolled()
      throws Exception {
    Path tokenFile = temp.resolve("join.token");
    java.nio.file.Files.writeString(tokenFile, orchestrator.newJoinToken() + "\n");
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                run(
                    "--server",
                    orchestrator.target(),
                    "--join-token-file",
                    tokenFile.toString(),
                    "--data-dir",
                    temp.resolve("d").toString(),
                    "--flows-dir",
                    temp.resolve("flows").toString(),
                    "--http-port",
                    "0",
                    "--http-host",
                    "127.0.0.1"));
    await().atMost(Duration.ofSeconds(15)).until(() -> orchestrator.streamOpen("mach_1"));
    assertThat(err.toString()).doesNotContain("process list");
    orchestrator.revoke("mach_1");
    orchestrator.breakStream("mach_1");
    assertThat(exit.get(20, TimeUnit.SECONDS)).isEqualTo(1);

    // Enrolled: the token file may be gone; the stored credential is used (and refused here).
    java.nio.file.Files.delete(tokenFile);
    int again =
        run(
            "--server",
            orchestrator.target(),
            "--join-token-file",
            tokenFile.toString(),
            "--data-dir",
            temp.resolve("d").toString(),
            "--http-port",
            "0");
    assertThat(again).isEqualTo(1);
    assertThat(err.toString())
        .contains("refused the credential of machine mach_1")
        .doesNotContain("--join-token-file " + tokenFile);
  }

  @Test
  void issue_12_the_join_token_comes_from_BOTFLEET_JOIN_TOKEN() {
    CommandLine cli = AgentCli.commandLine();
    cli.setDefaultValueProvider(
        new dev.botfleet.common.EnvDefaults(java.util.Map.of("BOTFLEET_JOIN_TOKEN", "nope")));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code =
        cli.execute(
            "--server",
            orchestrator.target(),
            "--data-dir",
            temp.resolve("d").toString(),
            "--http-port",
            "0",
            "--insecure-plaintext"); // the fake orchestrator serves plaintext
    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains("join token is unknown, spent, expired or revoked")
        .doesNotContain("process list");
  }

  @Test
  void issue_12_a_join_token_on_the_command_line_is_warned_about() {
    run(
        "--server",
        orchestrator.target(),
        "--join-token",
        "nope",
        "--data-dir",
        temp.resolve("d").toString(),
        "--http-port",
        "0");
    assertThat(err.toString()).contains("visible to every user in the process list");
  }

  @Test
  void a_leading_agent_argument_is_accepted_like_the_launcher_passes_it() {
    assertThat(AgentCli.run("agent", "--version")).isZero();
    assertThat(AgentCli.run("agent", "simulate", "--help")).isZero();
    assertThat(AgentCli.run("agent", "--no-such-option")).isEqualTo(2);
  }
}
