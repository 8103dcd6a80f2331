package dev.botfleet.e2e;

import static dev.botfleet.testing.BearerToken.bearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.proto.v1.GetUsageRequest;
import dev.botfleet.proto.v1.GetUsageResponse;
import dev.botfleet.proto.v1.MeteringServiceGrpc;
import dev.botfleet.proto.v1.RecordOutcome;
import dev.botfleet.proto.v1.RecordUsageRequest;
import dev.botfleet.proto.v1.UsageRecord;
import dev.botfleet.proto.v1.UsageRecordResult;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import dev.botfleet.testing.TestDatabases;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * M5: SIGKILL the real orchestrator (a separate JVM) while 8 clients record batches at full speed;
 * after a restart every acknowledged record is in the totals and none is counted twice. The proof:
 * re-sending every record ever sent (same keys) finds each acknowledged one already recorded
 * (DUPLICATE), and the bucket total equals the sum over all distinct keys sent — so nothing was
 * lost and nothing counted twice, whether or not its acknowledgement made it out before the kill.
 */
class MeteringCrashTest {
  @TempDir Path dir;
  private Processes procs;
  private Processes.Orchestrator last;

  @BeforeEach
  void processes() {
    procs = new Processes(dir.resolve("logs"));
  }

  @AfterEach
  void tearDown() {
    procs.close();
  }

  @Test
  void m5_acknowledged_records_survive_sigkill_on_h2() throws Exception {
    crashAndCheck(null);
    cliTour(last.cli());
  }

  /** The licensing and metering commands as a person types them, against the restarted server. */
  private static void cliTour(Cli cli) {
    assertThat(cli.run("usage", "show", "--flow", "invoices", "--env", "prod").ok().out())
        .contains("user:ann")
        .contains("L3")
        .contains("flow:invoices");
    assertThat(cli.run("flow", "show", "invoices", "--env", "prod").ok().out())
        .contains("OWNER_LICENSES")
        .contains("daily PPR limit");
    var denied =
        cli.run(
            "entitlement",
            "check",
            "--user",
            "ann",
            "--env",
            "prod",
            "--action",
            "create-desktop-flow");
    assertThat(denied.exitCode()).isEqualTo(1);
    assertThat(denied.out()).contains("DENIED (rule L7)").contains("botfleet trial start ann");
    cli.run("trial", "start", "ann").ok();
    assertThat(cli.run("license", "list", "ann").ok().out())
        .contains("TRIAL")
        .contains("SELF_SERVICE_TRIAL");
    assertThat(cli.run("tenant", "trials", "--type", "TRIAL", "--disable").ok().out())
        .contains("ann");
    assertThat(cli.run("trial", "start", "ann").err()).contains("L5_TRIAL_DISABLED");
    cli.run("tenant", "trials", "--type", "TRIAL", "--enable").ok();
    var again = cli.run("trial", "start", "ann");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("L5_TRIAL_REVOKED");
    var windows = cli.run("license", "assign", "ann", "--type", "WINDOWS");
    assertThat(windows.err()).contains("L1_MACHINE_LICENSE");
    assertThat(cli.run("user", "list").ok().out()).contains("ann");
    assertThat(cli.run("usage", "show", "--env", "prod", "-o", "json").ok().out())
        .contains("\"buckets\"");
    var bad = cli.run("usage", "show", "--user", "ann", "--env", "prod");
    assertThat(bad.exitCode()).isEqualTo(2);
  }

  @Test
  void m5_acknowledged_records_survive_sigkill_on_postgresql() throws Exception {
    crashAndCheck(TestDatabases.postgres());
  }

  private Processes.Orchestrator start(Path data, TestDatabases.Db db) {
    last =
        procs.startOrchestrator("orchestrator", Processes.ServerOptions.h2(data).withDatabase(db));
    return last;
  }

  private void crashAndCheck(TestDatabases.Db db) throws Exception {
    Path data = dir.resolve("data");
    Processes.Orchestrator p = start(data, db);
    Cli cli = p.cli();
    cli.run("env", "create", "prod", "--type", "PRODUCTION").ok();
    cli.run("user", "create", "ann").ok();
    cli.run("flow", "create", "invoices", "--env", "prod", "--owner", "ann").ok();
    cli.run("tenant", "settings", "--over-limit", "RECORD_OVERAGE").ok();
    var first =
        cli.run(
                "usage",
                "record",
                "--flow",
                "invoices",
                "--env",
                "prod",
                "--requests",
                "3",
                "--key",
                "first")
            .ok();
    assertThat(first.out()).contains("RECORDED").contains("user:ann");

    String token = Files.readString(data.resolve("admin.token")).trim();
    Map<String, Long> sent = new ConcurrentHashMap<>();
    Set<String> acked = ConcurrentHashMap.newKeySet();
    sent.put("first", 3L);
    acked.add("first");
    ManagedChannel channel = p.channel();
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      int client = c;
      Thread th =
          new Thread(
              () -> {
                var stub =
                    MeteringServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token));
                for (int seq = 0; ; seq++) {
                  var req = RecordUsageRequest.newBuilder();
                  List<String> keys = new ArrayList<>();
                  for (int i = 0; i < 50; i++) {
                    String key = "c" + client + "-" + seq + "-" + i;
                    long n = 1 + ThreadLocalRandom.current().nextInt(5);
                    sent.put(key, n);
                    keys.add(key);
                    req.addRecords(
                        UsageRecord.newBuilder()
                            .setFlow("invoices")
                            .setEnvironment("prod")
                            .setRequests(n)
                            .setIdempotencyKey(key));
                  }
                  try {
                    stub.withDeadlineAfter(10, TimeUnit.SECONDS).recordUsage(req.build());
                  } catch (RuntimeException e) {
                    return; // the server is gone
                  }
                  acked.addAll(keys);
                }
              });
      th.start();
      clients.add(th);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 3_000);
    p.proc.kill9();
    for (Thread th : clients) {
      th.join(20_000);
    }
    channel.shutdownNow();
    int ackedAtKill = acked.size();
    assertThat(sent.size()).isGreaterThanOrEqualTo(ackedAtKill);

    Processes.Orchestrator again = start(data, db);
    ManagedChannel ch = again.channel();
    try {
      var stub = MeteringServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(token));
      List<String> keys = new ArrayList<>(sent.keySet());
      int duplicates = 0;
      for (int from = 0; from < keys.size(); from += 1000) {
        var req = RecordUsageRequest.newBuilder();
        for (String key : keys.subList(from, Math.min(keys.size(), from + 1000))) {
          req.addRecords(
              UsageRecord.newBuilder()
                  .setFlow("invoices")
                  .setEnvironment("prod")
                  .setRequests(sent.get(key))
                  .setIdempotencyKey(key));
        }
        for (UsageRecordResult r :
            stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                .recordUsage(req.build())
                .getResultsList()) {
          if (acked.contains(r.getIdempotencyKey())) {
            assertThat(r.getOutcome())
                .as("acknowledged record " + r.getIdempotencyKey() + " is stored")
                .isEqualTo(RecordOutcome.RECORD_OUTCOME_DUPLICATE);
          }
          duplicates += r.getOutcome() == RecordOutcome.RECORD_OUTCOME_DUPLICATE ? 1 : 0;
        }
      }
      assertThat(duplicates).isGreaterThanOrEqualTo(ackedAtKill);
      long expected = sent.values().stream().mapToLong(Long::longValue).sum();
      GetUsageResponse usage =
          stub.withDeadlineAfter(30, TimeUnit.SECONDS)
              .getUsage(GetUsageRequest.newBuilder().setUser("ann").build());
      long used = usage.getBucketsList().stream().mapToLong(b -> b.getUsed()).sum();
      String yesterday = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();
      used +=
          stub
              .getUsage(GetUsageRequest.newBuilder().setUser("ann").setDay(yesterday).build())
              .getBucketsList()
              .stream()
              .mapToLong(b -> b.getUsed())
              .sum();
      assertThat(used).as("every distinct key counted exactly once").isEqualTo(expected);
    } finally {
      ch.shutdownNow();
    }
  }
}
