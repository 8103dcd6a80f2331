package dev.botfleet.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.common.MutableClock;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.proto.v1.CreatePrincipalResponse;
import dev.botfleet.proto.v1.GetCapacitySummaryResponse;
import dev.botfleet.proto.v1.ListAuditEventsResponse;
import dev.botfleet.proto.v1.ListEnvironmentsResponse;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.testing.Cli;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin CLI (O3) against a real orchestrator on a free TCP port: table output by default,
 * {@code -o json} for scripts, and on any error a non-zero exit with one line on stderr (1 refused
 * by a rule, 2 bad usage, 3 not authenticated or not allowed, 5 server unreachable).
 */
class CliTest {
  @TempDir Path dir;
  private Orchestrator orchestrator;
  private MutableClock clock;
  private Cli cli;

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.parse("2026-03-02T10:00:00Z"));
    Path data = dir.resolve("data");
    OrchestratorConfig config =
        new OrchestratorConfig(data, "127.0.0.1", 0, 0, null, null, null, 4, clock)
            .withTls(OrchestratorConfig.Tls.ownCa()); // issue 12: the CLI over real TLS
    orchestrator = Orchestrator.start(config);
    cli = Cli.forServer("127.0.0.1:" + orchestrator.grpcPort(), data);
    cli.run("env", "create", "prod", "--type", "PRODUCTION").ok();
  }

  @AfterEach
  void stop() {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  @Test
  void table_output_is_the_default() {
    var r = cli.run("env", "create", "dev", "--type", "SANDBOX").ok();
    assertThat(r.out().lines().toList()).hasSize(2);
    assertThat(r.out().lines().findFirst().orElseThrow()).matches("NAME\\s+ID\\s+TYPE");
    assertThat(r.out().lines().skip(1).findFirst().orElseThrow())
        .matches("dev\\s+env_\\S+\\s+SANDBOX");
    assertThat(r.err()).isEmpty();

    var list = cli.run("env", "list").ok();
    assertThat(list.out()).startsWith("NAME").contains("prod").contains("dev").doesNotContain("{");
  }

  @Test
  void json_output_parses_as_json() {
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "4").ok();
    var envs = cli.run("env", "list", "-o", "json").json(ListEnvironmentsResponse.newBuilder());
    assertThat(envs.getEnvironmentsList()).extracting(e -> e.getName()).containsExactly("prod");
    var summary =
        cli.run("capacity", "summary", "--output", "json")
            .json(GetCapacitySummaryResponse.newBuilder());
    assertThat(summary.getSkusList())
        .anySatisfy(
            s -> {
              assertThat(s.getSku()).isEqualTo(Sku.SKU_PROCESS);
              assertThat(s.getPurchased()).isEqualTo(4);
              assertThat(s.getUnit()).isEqualTo("bots");
            });
    // Default-valued fields are printed too, so scripts can rely on every key being there.
    assertThat(cli.run("capacity", "summary", "-o", "json").out()).contains("\"allocated\"");
  }

  @Test
  void c2_refused_call_exits_non_zero_with_one_line_reason_on_stderr() {
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "5").ok();
    var r = cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "6");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().toList())
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .startsWith("error: FAILED_PRECONDITION C2_EXCEEDS_PURCHASED: ")
                    .contains("at most 5"));
  }

  @Test
  void missing_or_unknown_token_exits_3() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("no-token-here"));
    var none =
        Cli.exec(
            "whoami",
            "--server",
            "127.0.0.1:" + orchestrator.grpcPort(),
            "--data-dir",
            empty.toString(),
            "--ca-file",
            orchestrator.tls.clientCaFile().toString());
    assertThat(none.exitCode()).isEqualTo(3);
    assertThat(none.err().lines().toList())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("error: UNAUTHENTICATED "));

    var unknown = cli.run("whoami", "--token", "bfp_not_a_real_token");
    assertThat(unknown.exitCode()).isEqualTo(3);
    assertThat(unknown.err()).startsWith("error: UNAUTHENTICATED UNAUTHENTICATED_BAD_TOKEN: ");
  }

  @Test
  void unreachable_server_exits_5() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    var r =
        Cli.exec(
            "env",
            "list",
            "--server",
            "127.0.0.1:" + closedPort,
            "--token",
            "x",
            "--timeout",
            "5",
            "--insecure-plaintext");
    assertThat(r.exitCode()).isEqualTo(5);
    assertThat(r.err().lines().toList())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("error: cannot reach the orchestrator"));
  }

  @Test
  void issue_12_without_a_ca_to_trust_the_cli_says_what_to_give_and_a_foreign_ca_is_refused()
      throws Exception {
    Path empty = Files.createDirectories(dir.resolve("elsewhere"));
    var missing =
        Cli.exec(
            "env",
            "list",
            "--server",
            "127.0.0.1:" + orchestrator.grpcPort(),
            "--data-dir",
            empty.toString(),
            "--token",
            "x");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("no CA file to trust the server by").contains("--ca-file");

    Path foreign = dir.resolve("foreign-ca.pem");
    Files.writeString(
        foreign,
        dev.botfleet.common.tls.Pem.certificate(
            dev.botfleet.common.tls.CertificateAuthority.create("not ours", clock).certificate()));
    var refused = cli.run("env", "list", "--ca-file", foreign.toString(), "--timeout", "5");
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.out()).doesNotContain("prod");
  }

  @Test
  void bad_usage_exits_2() {
    var missing = cli.run("capacity", "allocate", "--env", "prod", "--quantity", "1");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err().lines().findFirst().orElseThrow())
        .contains("Missing required option")
        .contains("--sku");
    var badOutput = cli.run("env", "list", "-o", "yaml");
    assertThat(badOutput.exitCode()).isEqualTo(2);
    // picocli reports usage errors as the reason on the first line, followed by the usage help.
    assertThat(badOutput.err().lines().findFirst().orElseThrow())
        .contains("--output")
        .contains("yaml")
        .contains("TABLE, JSON");
  }

  @Test
  void c6_allocating_app_passes_to_a_user_is_refused_with_the_reason() {
    cli.run("capacity", "purchase", "--sku", "APP_PASS", "--quantity", "3").ok();
    var r =
        cli.run("capacity", "allocate", "--user", "ana", "--sku", "APP_PASS", "--quantity", "1");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines().toList())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("error: FAILED_PRECONDITION C6_APP_PASS_ENVIRONMENT_ONLY: ")
                    .contains("app share"));
  }

  @Test
  void c6_app_share_consumes_a_pass_and_app_list_shows_it() {
    cli.run("capacity", "purchase", "--sku", "APP_PASS", "--quantity", "3").ok();
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "APP_PASS", "--quantity", "1").ok();
    assertThat(cli.run("app", "share", "expenses", "--env", "prod", "--user", "ana").ok().out())
        .contains("consumed");
    assertThat(cli.run("app", "share", "expenses", "--env", "prod", "--user", "ana").ok().out())
        .contains("already shared");
    var full = cli.run("app", "share", "expenses", "--env", "prod", "--user", "bo");
    assertThat(full.exitCode()).isEqualTo(1);
    assertThat(full.err()).startsWith("error: RESOURCE_EXHAUSTED C6_NO_APP_PASS: ");
    assertThat(cli.run("app", "list", "--env", "prod").ok().out())
        .containsPattern("expenses\\s+ana");
    assertThat(cli.run("app", "unshare", "expenses", "--env", "prod", "--user", "ana").ok().out())
        .contains("unshared");
  }

  @Test
  void issue_12_principal_create_grants_a_maker_each_env_given() {
    cli.run("env", "create", "dev", "--type", "SANDBOX").ok();
    cli.run("env", "create", "qa", "--type", "SANDBOX").ok();
    var created =
        cli.run("principal", "create", "mo", "--role", "MAKER", "--env", "prod", "--env", "dev")
            .ok();
    assertThat(created.out()).containsPattern("mo\\s+prn_\\S+\\s+MAKER\\(prod\\),MAKER\\(dev\\)");
    Matcher m =
        Pattern.compile("token \\(shown once, keep it secret\\): (\\S+)").matcher(created.out());
    assertThat(m.find()).as(created.out()).isTrue();
    // The maker sees only its environments.
    assertThat(
            cli.run("env", "list", "--token", m.group(1), "-o", "json")
                .json(ListEnvironmentsResponse.newBuilder())
                .getEnvironmentsList())
        .extracting(e -> e.getName())
        .containsExactlyInAnyOrder("prod", "dev");
    var none = cli.run("principal", "create", "nowhere", "--role", "MAKER");
    assertThat(none.exitCode()).isNotZero();
    assertThat(none.err()).contains("ENVIRONMENT_REQUIRED");
  }

  @Test
  void c5_principal_token_works_until_only_specific_admins_may_allocate() {
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "5").ok();
    var created =
        cli.run("principal", "create", "pat", "--role", "ENVIRONMENT_ADMIN", "--env", "prod").ok();
    Matcher m =
        Pattern.compile("token \\(shown once, keep it secret\\): (\\S+)").matcher(created.out());
    assertThat(m.find()).as(created.out()).isTrue();
    String token = m.group(1);
    assertThat(created.out()).containsPattern("pat\\s+prn_\\S+\\s+ENVIRONMENT_ADMIN\\(prod\\)");

    assertThat(cli.run("whoami", "--token", token).ok().out())
        .containsPattern("pat\\s+prn_\\S+\\s+ENVIRONMENT_ADMIN");
    assertThat(
            cli.run(
                    "capacity",
                    "allocate",
                    "--env",
                    "prod",
                    "--sku",
                    "PROCESS",
                    "--quantity",
                    "2",
                    "--token",
                    token)
                .ok()
                .out())
        .containsPattern("prod\\s+PROCESS\\s+0\\s+2");
    // An environment admin cannot create principals.
    assertThat(cli.run("principal", "list", "--token", token).exitCode()).isEqualTo(3);

    var settings =
        cli.run("tenant", "settings", "--capacity-allocation", "ONLY_SPECIFIC_ADMINS").ok();
    assertThat(settings.out()).containsPattern("capacity-allocation\\s+ONLY_SPECIFIC_ADMINS");
    assertThat(cli.run("tenant", "settings").ok().out()).contains("ONLY_SPECIFIC_ADMINS");
    var refused =
        cli.run(
            "capacity",
            "allocate",
            "--env",
            "prod",
            "--sku",
            "PROCESS",
            "--quantity",
            "3",
            "--token",
            token);
    assertThat(refused.exitCode()).isEqualTo(3);
    assertThat(refused.err()).startsWith("error: PERMISSION_DENIED C5_ONLY_SPECIFIC_ADMINS: ");

    var json =
        cli.run("principal", "create", "sam", "--role", "SERVICE_ADMIN", "-o", "json")
            .json(CreatePrincipalResponse.newBuilder());
    assertThat(
            cli.run(
                    "capacity",
                    "allocate",
                    "--env",
                    "prod",
                    "--sku",
                    "PROCESS",
                    "--quantity",
                    "3",
                    "--token",
                    json.getToken())
                .exitCode())
        .isZero();
  }

  @Test
  void c5_audit_list_shows_who_what_before_and_after() {
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "5").ok();
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "2").ok();
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "4").ok();
    var audit = cli.run("audit", "list", "--action", "capacity.allocate").ok();
    var lines = audit.out().lines().toList();
    assertThat(lines.get(0)).matches("AT\\s+ACTOR\\s+ACTION\\s+TARGET\\s+BEFORE\\s+AFTER");
    // Newest first.
    assertThat(lines.get(1))
        .matches(
            "2026-03-02T10:00:00Z\\s+admin\\s+capacity\\.allocate\\s+environment=prod sku=PROCESS\\s+2\\s+4");
    assertThat(lines.get(2))
        .matches(
            "2026-03-02T10:00:00Z\\s+admin\\s+capacity\\.allocate\\s+environment=prod sku=PROCESS\\s+0\\s+2");
    assertThat(lines).hasSize(3);
  }

  @Test
  void c8_summary_shows_the_deficit_after_a_trial_expires() {
    cli.run("env", "create", "late", "--type", "SANDBOX").ok();
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "2").ok();
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "3", "--trial").ok();
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "2").ok();
    clock.advance(Duration.ofMinutes(1));
    cli.run("capacity", "allocate", "--env", "late", "--sku", "PROCESS", "--quantity", "3").ok();
    assertThat(cli.run("capacity", "summary").ok().out()).doesNotContain("OVER CAPACITY (");

    clock.advance(Duration.ofDays(31));
    var summary = cli.run("capacity", "summary").ok().out();
    assertThat(summary).containsPattern("PROCESS\\s+2\\s+5\\s+-3\\s+0\\s+bots");
    assertThat(summary).containsPattern("late\\s+PROCESS\\s+3\\s+0\\s+3");
    assertThat(summary).contains("OVER CAPACITY (newest allocations first");
    assertThat(summary).containsPattern("PROCESS in late: 3 over; fix: .*purchase 3 more PROCESS");
    var refused =
        cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "3");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).startsWith("error: FAILED_PRECONDITION C8_OVER_CAPACITY: ");
    // The expired trial: not extended, no longer active.
    assertThat(cli.run("capacity", "purchases").ok().out())
        .containsPattern(
            "PROCESS\\s+3\\s+trial\\s+2026-03-02T10:00:00Z\\s+2026-04-01T10:00:00Z\\s+no\\s+no");
  }

  @Test
  void l6_extend_trial_works_once() {
    var trial =
        cli.run(
                "capacity",
                "purchase",
                "--sku",
                "PROCESS",
                "--quantity",
                "3",
                "--trial",
                "-o",
                "json")
            .json(dev.botfleet.proto.v1.CreatePurchaseResponse.newBuilder())
            .getPurchase();
    var extended = cli.run("capacity", "extend-trial", trial.getId()).ok();
    assertThat(extended.out())
        .containsPattern(
            trial.getId()
                + "\\s+PROCESS\\s+3\\s+trial\\s+2026-03-02T10:00:00Z\\s+2026-05-01T10:00:00Z\\s+yes\\s+yes");
    var again = cli.run("capacity", "extend-trial", trial.getId());
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).startsWith("error: FAILED_PRECONDITION L6_ALREADY_EXTENDED: ");
  }

  @Test
  void issue_8_list_commands_page_for_the_user_and_all_reaches_the_oldest_row() {
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "20").ok();
    for (int q = 1; q <= 12; q++) {
      cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "" + q)
          .ok();
    }
    String[] audit = {"audit", "list", "--action", "capacity.allocate"};

    var first = cli.run(concat(audit, "--page-size", "5")).ok();
    assertThat(first.out().lines().toList()).hasSize(1 + 5);
    assertThat(first.err()).contains("more events exist").contains("--all");

    var all = cli.run(concat(audit, "--all", "--page-size", "5")).ok();
    var lines = all.out().lines().toList();
    assertThat(lines).hasSize(1 + 12);
    assertThat(lines.get(1))
        .matches(".*capacity\\.allocate\\s+environment=prod sku=PROCESS\\s+11\\s+12");
    // The oldest event, three pages down.
    assertThat(lines.get(12))
        .matches(".*capacity\\.allocate\\s+environment=prod sku=PROCESS\\s+0\\s+1");
    assertThat(all.err()).isEmpty();

    var limited = cli.run(concat(audit, "--limit", "7", "--page-size", "5")).ok();
    assertThat(limited.out().lines().toList()).hasSize(1 + 7);
    assertThat(limited.err()).contains("more events exist");

    // -o json: one JSON object of the RPC's response type, every fetched row, and where it stopped.
    var json =
        cli.run(concat(audit, "--all", "--page-size", "5", "-o", "json"))
            .json(ListAuditEventsResponse.newBuilder());
    assertThat(json.getEventsCount()).isEqualTo(12);
    assertThat(json.getEventsList().get(11).getAfter()).isEqualTo("1");
    assertThat(json.getNextPageToken()).isEmpty();
    var jsonLimited =
        cli.run(concat(audit, "--limit", "7", "--page-size", "5", "-o", "json"))
            .json(ListAuditEventsResponse.newBuilder());
    assertThat(jsonLimited.getEventsCount()).isEqualTo(7);
    assertThat(jsonLimited.getNextPageToken()).isNotEmpty();

    assertThat(cli.run(concat(audit, "--limit", "0")).exitCode()).isEqualTo(2);
    assertThat(cli.run(concat(audit, "--page-size", "1001")).exitCode()).isEqualTo(2);
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
