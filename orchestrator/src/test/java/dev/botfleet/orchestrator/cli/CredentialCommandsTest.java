package dev.botfleet.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.common.MutableClock;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.proto.v1.CreateJoinTokenResponse;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 §3 through the real CLI: principal revoke and rotate-token, machine remove. */
class CredentialCommandsTest {
  @TempDir Path dir;
  private Orchestrator orchestrator;
  private Cli cli;
  private String server;

  @BeforeEach
  void start() throws Exception {
    var clock = new MutableClock(Instant.parse("2026-03-02T10:00:00Z"));
    Path data = dir.resolve("data");
    orchestrator =
        Orchestrator.start(
            // Plaintext: the protocol agent below enrols without a CSR; TLS is MutualTlsTest's.
            new OrchestratorConfig(data, "127.0.0.1", 0, 0, null, null, null, 4, clock));
    server = "127.0.0.1:" + orchestrator.grpcPort();
    cli = Cli.forServer(server, data).plaintext();
    cli.run("env", "create", "prod", "--type", "PRODUCTION").ok();
  }

  @AfterEach
  void stop() {
    orchestrator.close();
  }

  static String token(String out) {
    Matcher m = Pattern.compile("token \\(shown once, keep it secret\\): (\\S+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  @Test
  void issue_12_principal_rotate_token_and_revoke_through_the_cli() {
    String first =
        token(
            cli.run(
                    "principal",
                    "create",
                    "ops",
                    "--role",
                    "MAKER",
                    "--env",
                    "prod",
                    "--expires-in",
                    "30d")
                .ok()
                .out());
    assertThat(Cli.withToken(server, first).plaintext().run("whoami").ok().out()).contains("ops");

    var rotated = cli.run("principal", "rotate-token", "ops", "--grace", "1h").ok();
    assertThat(rotated.out()).contains("old token works until 2026-03-02T11:00:00Z");
    String second = token(rotated.out());
    assertThat(Cli.withToken(server, first).plaintext().run("whoami").ok().out()).contains("ops");

    assertThat(cli.run("principal", "revoke", "ops").ok().out()).contains("revoked ops at");
    assertThat(cli.run("principal", "revoke", "ops").ok().out()).contains("was revoked already");
    var refused = Cli.withToken(server, second).plaintext().run("whoami");
    assertThat(refused.exitCode()).isEqualTo(3);
    assertThat(refused.err()).contains("UNAUTHENTICATED_TOKEN_REVOKED");
    assertThat(cli.run("principal", "list").ok().out()).contains("REVOKED");
    var last = cli.run("principal", "revoke", "admin");
    assertThat(last.exitCode()).isEqualTo(1);
    assertThat(last.err()).contains("PRINCIPAL_LAST_GLOBAL_ADMIN");
  }

  @Test
  void issue_12_machine_remove_through_the_cli() {
    String join =
        cli.run("machine", "join-token", "--env", "prod", "-o", "json")
            .ok()
            .json(CreateJoinTokenResponse.newBuilder())
            .getToken();
    ManagedChannel channel = NettyChannelBuilder.forTarget(server).usePlaintext().build();
    try {
      ProtocolAgent a = ProtocolAgent.enroll(channel, join, "m1", 1).connect();
      await()
          .until(() -> cli.run("machine", "show", "m1", "--env", "prod").out().contains("ONLINE"));

      var removed = cli.run("machine", "remove", "m1", "--env", "prod").ok();

      assertThat(removed.out()).contains("REMOVED").contains("removed m1");
      await().until(() -> a.streamError != null);
      assertThat(cli.run("machine", "remove", "m1", "--env", "prod").ok().out())
          .contains("was removed already");
      assertThat(cli.run("machine", "list", "--env", "prod").ok().out()).doesNotContain("m1");
    } finally {
      channel.shutdownNow();
    }
  }
}
