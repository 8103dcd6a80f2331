package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.proto.v1.CapacityAllocationMode;
import dev.botfleet.proto.v1.CreateEnvironmentResponse;
import dev.botfleet.proto.v1.CreatePrincipalResponse;
import dev.botfleet.proto.v1.CreatePurchaseResponse;
import dev.botfleet.proto.v1.EnvironmentCapacity;
import dev.botfleet.proto.v1.GetCapacitySummaryResponse;
import dev.botfleet.proto.v1.ListAppSharesResponse;
import dev.botfleet.proto.v1.ListAuditEventsResponse;
import dev.botfleet.proto.v1.ListEnvironmentsResponse;
import dev.botfleet.proto.v1.ListPurchasesResponse;
import dev.botfleet.proto.v1.Purchase;
import dev.botfleet.proto.v1.SetAllocationResponse;
import dev.botfleet.proto.v1.ShareAppResponse;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SkuSummary;
import dev.botfleet.proto.v1.TenantSettings;
import dev.botfleet.proto.v1.WhoAmIResponse;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import dev.botfleet.testing.TestDatabases;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * O2: killing the orchestrator with SIGKILL right after a CLI call returned loses nothing that call
 * reported as done. The orchestrator is a real process; the state is checked after a restart on the
 * same data dir (and database) through the CLI's JSON output.
 */
class DurabilityProcessTest {
  @TempDir Path dir;
  private Processes procs;

  @BeforeEach
  void processes() {
    procs = new Processes(dir.resolve("logs"));
  }

  @AfterEach
  void killAll() {
    procs.close();
  }

  @Test
  void o2_sigkill_after_cli_calls_loses_nothing_they_reported_done_on_h2() throws Exception {
    killAfterCallsThenCheckAfterRestart(null);
  }

  @Test
  void o2_sigkill_after_cli_calls_loses_nothing_they_reported_done_on_postgresql()
      throws Exception {
    killAfterCallsThenCheckAfterRestart(TestDatabases.postgres());
  }

  private Processes.Orchestrator start(TestDatabases.Db db) {
    return procs.startOrchestrator(
        "orchestrator", Processes.ServerOptions.h2(dir.resolve("data")).withDatabase(db));
  }

  private void killAfterCallsThenCheckAfterRestart(TestDatabases.Db db) throws Exception {
    Processes.Orchestrator first = start(db);
    Cli cli = first.cli();

    // Each call below returns only after the server acknowledged it: that is "reported as done".
    String envId =
        cli.run("env", "create", "prod", "--type", "PRODUCTION", "-o", "json")
            .json(CreateEnvironmentResponse.newBuilder())
            .getEnvironment()
            .getId();
    Purchase paid =
        cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "10", "-o", "json")
            .json(CreatePurchaseResponse.newBuilder())
            .getPurchase();
    Purchase trial =
        cli.run(
                "capacity",
                "purchase",
                "--sku",
                "PROCESS",
                "--quantity",
                "2",
                "--trial",
                "-o",
                "json")
            .json(CreatePurchaseResponse.newBuilder())
            .getPurchase();
    Purchase passes =
        cli.run("capacity", "purchase", "--sku", "APP_PASS", "--quantity", "3", "-o", "json")
            .json(CreatePurchaseResponse.newBuilder())
            .getPurchase();
    assertThat(
            cli.run(
                    "capacity",
                    "allocate",
                    "--env",
                    "prod",
                    "--sku",
                    "PROCESS",
                    "--quantity",
                    "7",
                    "-o",
                    "json")
                .json(SetAllocationResponse.newBuilder())
                .getAfter())
        .isEqualTo(7);
    assertThat(
            cli.run(
                    "capacity",
                    "allocate",
                    "--env",
                    "prod",
                    "--sku",
                    "APP_PASS",
                    "--quantity",
                    "2",
                    "-o",
                    "json")
                .json(SetAllocationResponse.newBuilder())
                .getAfter())
        .isEqualTo(2);
    String patToken =
        cli.run(
                "principal",
                "create",
                "pat",
                "--role",
                "ENVIRONMENT_ADMIN",
                "--env",
                "prod",
                "-o",
                "json")
            .json(CreatePrincipalResponse.newBuilder())
            .getToken();
    cli.run("tenant", "settings", "--capacity-allocation", "ONLY_SPECIFIC_ADMINS").ok();
    assertThat(
            cli.run("app", "share", "expenses", "--env", "prod", "--user", "ana", "-o", "json")
                .json(ShareAppResponse.newBuilder())
                .getCreated())
        .isTrue();
    first.proc.kill9();

    Processes.Orchestrator second = start(db);
    assertThat(second.proc.log()).doesNotContain("event=admin_created");
    Cli after = second.cli();

    var envs = after.run("env", "list", "-o", "json").json(ListEnvironmentsResponse.newBuilder());
    assertThat(envs.getEnvironmentsList())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getName()).isEqualTo("prod");
              assertThat(e.getId()).isEqualTo(envId);
            });
    var purchases =
        after.run("capacity", "purchases", "-o", "json").json(ListPurchasesResponse.newBuilder());
    assertThat(purchases.getPurchasesList())
        .extracting(Purchase::getId, Purchase::getQuantity, Purchase::getTrial)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(paid.getId(), 10L, false),
            org.assertj.core.groups.Tuple.tuple(trial.getId(), 2L, true),
            org.assertj.core.groups.Tuple.tuple(passes.getId(), 3L, false));
    var summary =
        after
            .run("capacity", "summary", "-o", "json")
            .json(GetCapacitySummaryResponse.newBuilder())
            .build();
    assertThat(sku(summary, Sku.SKU_PROCESS).getPurchased()).isEqualTo(12);
    assertThat(sku(summary, Sku.SKU_PROCESS).getAllocated()).isEqualTo(7);
    assertThat(sku(summary, Sku.SKU_APP_PASS).getAllocated()).isEqualTo(2);
    assertThat(sku(summary, Sku.SKU_APP_PASS).getConsumed()).isEqualTo(1);
    EnvironmentCapacity prod =
        summary.getEnvironmentsList().stream()
            .filter(e -> e.getEnvironment().getName().equals("prod"))
            .findFirst()
            .orElseThrow();
    assertThat(prod.getUsageList())
        .anySatisfy(
            u -> {
              assertThat(u.getSku()).isEqualTo(Sku.SKU_APP_PASS);
              assertThat(u.getConsumed()).isEqualTo(1);
            });
    var shares =
        after
            .run("app", "list", "--env", "prod", "-o", "json")
            .json(ListAppSharesResponse.newBuilder());
    assertThat(shares.getSharesList())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getApp()).isEqualTo("expenses");
              assertThat(s.getUser()).isEqualTo("ana");
            });
    var settings = after.run("tenant", "settings", "-o", "json").json(TenantSettings.newBuilder());
    assertThat(settings.getCapacityAllocation())
        .isEqualTo(CapacityAllocationMode.CAPACITY_ALLOCATION_MODE_ONLY_SPECIFIC_ADMINS);
    var pat =
        after.run("whoami", "--token", patToken, "-o", "json").json(WhoAmIResponse.newBuilder());
    assertThat(pat.getPrincipal().getName()).isEqualTo("pat");
    var audit =
        after
            .run("audit", "list", "--action", "capacity.allocate", "-o", "json")
            .json(ListAuditEventsResponse.newBuilder());
    assertThat(audit.getEventsList())
        .extracting(e -> e.getTarget() + " " + e.getAfter())
        .contains("environment=prod sku=PROCESS 7", "environment=prod sku=APP_PASS 2");
  }

  private static SkuSummary sku(GetCapacitySummaryResponse summary, Sku sku) {
    return summary.getSkusList().stream().filter(s -> s.getSku() == sku).findFirst().orElseThrow();
  }
}
