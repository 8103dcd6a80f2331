package dev.botfleet.orchestrator.bench;

import static dev.botfleet.testing.BearerToken.bearer;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.admin.OverLimitPolicy;
import dev.botfleet.orchestrator.admin.TenantService;
import dev.botfleet.orchestrator.environments.EnvironmentType;
import dev.botfleet.orchestrator.licensing.LicenseType;
import dev.botfleet.proto.v1.MeteringServiceGrpc;
import dev.botfleet.proto.v1.RecordUsageRequest;
import dev.botfleet.proto.v1.RecordUsageResponse;
import dev.botfleet.proto.v1.UsageRecord;
import dev.botfleet.testing.TestDatabases;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Metering throughput and latency with acknowledged durability (M5), through the real gRPC server
 * (Netty on loopback) and the real group-commit writer, on H2 (file) and PostgreSQL. Not a test:
 * run it by hand (see docs/benchmarks.md "Metering"):
 *
 * <pre>
 * mvn -B -q -o install -DskipTests -pl proto,common,orchestrator
 * mvn -B -q -o test-compile -pl orchestrator
 * java -cp orchestrator/target/botfleet.jar:orchestrator/target/test-classes \
 *     dev.botfleet.orchestrator.bench.MeteringBenchmark [h2|postgres|both] [seconds]
 * </pre>
 *
 * <p>Phase 1 (throughput): 16 client threads, each in a closed loop sending batches of {@value
 * #BATCH} records, each record carrying {@value #REQUESTS_PER_RECORD} request (before issue 9: 10,
 * which made requests/s ten times records/s), 16 flows owned by 16 users. Every call returns only
 * after its records committed. Phase 2 (latency): open loop at 20,000 requests/s, twice: 2,000
 * records/s of 10 requests (16 clients each sending 25 records every 200 ms) and 20,000 records/s
 * of 1 request (every 20 ms); latency is measured from the scheduled send time to the
 * acknowledgement, so a stall counts against every call it delays.
 */
public final class MeteringBenchmark {
  static final int CLIENTS = 16;
  static final int BATCH = 200;

  /** Issue 9 target 5 counts records of one request each: no help from requests per record. */
  static final int REQUESTS_PER_RECORD = 1;

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "both";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    System.out.printf(
        "machine: %d CPUs, %s %s, JDK %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        System.getProperty("java.version"));
    if (which.equals("h2") || which.equals("both")) {
      run("h2", null, seconds);
    }
    if (which.equals("postgres") || which.equals("both")) {
      run("postgres", TestDatabases.postgres(), seconds);
    }
    System.exit(0);
  }

  static void run(String name, TestDatabases.Db db, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("metering-bench-");
    OrchestratorConfig config = OrchestratorConfig.defaults(dir).withPorts(0, 0);
    config =
        new OrchestratorConfig(
            config.dataDir(),
            "127.0.0.1",
            0,
            0,
            config.dbUrl(),
            config.dbUser(),
            config.dbPassword(),
            16,
            config.clock());
    if (db != null) {
      config = config.withDatabase(db.url(), db.user(), db.password());
    }
    // One admin drives the load: no per-principal request rate limit here (issue 12 §4).
    config = config.withLimits(config.limits().withRateLimit(0, 1));
    try (Orchestrator o = Orchestrator.start(config)) {
      var admin =
          o.principals
              .authenticate(Files.readString(dir.resolve("admin.token")).trim())
              .orElseThrow();
      o.environments.create(admin, "bench", EnvironmentType.PRODUCTION);
      o.tenant.update(
          admin, new TenantService.Change(null, null, OverLimitPolicy.RECORD_OVERAGE, null, null));
      List<String> flows = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        o.licenses.createUser(admin, "user" + i, true);
        o.licenses.assign(admin, "user" + i, LicenseType.PREMIUM, null, false);
        o.flows.create(admin, "flow" + i, "bench", "user" + i, List.of(), null, null);
        flows.add("flow" + i);
      }
      String token = Files.readString(dir.resolve("admin.token")).trim();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", o.grpcPort()).usePlaintext().build();
      try {
        var stub = MeteringServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token));
        System.out.printf("%n== %s (%s) ==%n", name, o.database.url());
        throughput(stub, flows, 5, false);
        throughput(stub, flows, seconds, true);
        var future = MeteringServiceGrpc.newFutureStub(channel).withCallCredentials(bearer(token));
        latency(future, flows, seconds, 25, 200_000, 10); // 2,000 records/s = 20,000 requests/s
        latency(future, flows, seconds, 25, 20_000, 1); // 20,000 records/s = 20,000 requests/s
      } finally {
        channel.shutdownNow();
      }
    }
  }

  static void throughput(
      MeteringServiceGrpc.MeteringServiceBlockingStub stub,
      List<String> flows,
      int seconds,
      boolean report)
      throws Exception {
    AtomicLong records = new AtomicLong();
    AtomicLong calls = new AtomicLong();
    long[][] latencies = new long[CLIENTS][];
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String run = Long.toString(System.nanoTime(), 36);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      Thread t =
          new Thread(
              () -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                for (int seq = 0; System.nanoTime() < end; seq++) {
                  var req = RecordUsageRequest.newBuilder();
                  for (int i = 0; i < BATCH; i++) {
                    req.addRecords(
                        UsageRecord.newBuilder()
                            .setFlow(flows.get(client))
                            .setEnvironment("bench")
                            .setRequests(REQUESTS_PER_RECORD)
                            .setIdempotencyKey(run + "-" + client + "-" + seq + "-" + i));
                  }
                  long start = System.nanoTime();
                  stub.withDeadlineAfter(60, TimeUnit.SECONDS).recordUsage(req.build());
                  if (n < lat.length) {
                    lat[n++] = System.nanoTime() - start;
                  }
                  records.addAndGet(BATCH);
                  calls.incrementAndGet();
                }
                latencies[client] = Arrays.copyOf(lat, n);
              });
      t.start();
      threads.add(t);
    }
    long t0 = System.nanoTime();
    for (Thread t : threads) {
      t.join();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (report) {
      long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
      System.out.printf(
          "throughput: %d clients x batches of %d records x %d requests/record: %.0f records/s, %.0f requests/s,"
              + " %.0f calls/s; call latency p50 %.1f ms p99 %.1f ms%n",
          CLIENTS,
          BATCH,
          REQUESTS_PER_RECORD,
          records.get() / secs,
          records.get() * REQUESTS_PER_RECORD / secs,
          calls.get() / secs,
          pct(all, 0.50),
          pct(all, 0.99));
    }
  }

  static void latency(
      MeteringServiceGrpc.MeteringServiceFutureStub stub,
      List<String> flows,
      int seconds,
      int perCall,
      long periodMicros,
      int requestsPerRecord)
      throws Exception {
    int callsPerClient = (int) (seconds * 1_000_000L / periodMicros);
    long[] lat = new long[CLIENTS * callsPerClient];
    AtomicLong idx = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    CountDownLatch done = new CountDownLatch(CLIENTS * callsPerClient);
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(4);
    String run = Long.toString(System.nanoTime(), 36);
    long base = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      long offset = periodMicros * 1000 * c / CLIENTS;
      for (int k = 0; k < callsPerClient; k++) {
        long due = base + offset + k * periodMicros * 1000;
        int seq = k;
        timer.schedule(
            () -> {
              var req = RecordUsageRequest.newBuilder();
              for (int i = 0; i < perCall; i++) {
                req.addRecords(
                    UsageRecord.newBuilder()
                        .setFlow(flows.get(client))
                        .setEnvironment("bench")
                        .setRequests(requestsPerRecord)
                        .setIdempotencyKey("lat-" + run + "-" + client + "-" + seq + "-" + i));
              }
              Futures.addCallback(
                  stub.withDeadlineAfter(60, TimeUnit.SECONDS).recordUsage(req.build()),
                  new FutureCallback<RecordUsageResponse>() {
                    @Override
                    public void onSuccess(RecordUsageResponse r) {
                      lat[(int) idx.getAndIncrement()] = System.nanoTime() - due;
                      done.countDown();
                    }

                    @Override
                    public void onFailure(Throwable t) {
                      failures.incrementAndGet();
                      done.countDown();
                    }
                  },
                  MoreExecutors.directExecutor());
            },
            due - System.nanoTime(),
            TimeUnit.NANOSECONDS);
      }
    }
    done.await(seconds + 120L, TimeUnit.SECONDS);
    timer.shutdownNow();
    long[] all = Arrays.copyOf(lat, (int) idx.get());
    Arrays.sort(all);
    System.out.printf(
        "latency at %d records/s (%d requests/s, open loop, %d clients x %d records every %d ms): p50 %.1f ms, p99 %.1f ms,"
            + " max %.1f ms, %d calls, %d failed%n",
        CLIENTS * perCall * 1_000_000 / periodMicros,
        CLIENTS * perCall * 1_000_000 / periodMicros * requestsPerRecord,
        CLIENTS,
        perCall,
        periodMicros / 1000,
        pct(all, 0.50),
        pct(all, 0.99),
        all.length == 0 ? 0 : all[all.length - 1] / 1e6,
        all.length,
        failures.get());
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }
}
