package dev.botfleet.e2e;

import static dev.botfleet.testing.BearerToken.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.CapacityServiceGrpc.CapacityServiceBlockingStub;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.GetCapacitySummaryRequest;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SkuSummary;
import dev.botfleet.testing.Processes;
import dev.botfleet.testing.TestDatabases;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C2 under concurrency across replicas (DESIGN "State and concurrency"): two orchestrator processes
 * share one PostgreSQL database; many threads set allocations through both at once, and the sum of
 * a SKU's allocations never exceeds its purchased units — not in the summary, not in the table, not
 * at any moment a watcher samples it.
 */
class TwoReplicasRaceTest {
  private static final int PURCHASED = 10;
  private static final int THREADS = 8;
  private static final int CALLS_PER_THREAD = 40;
  private static final int ENVIRONMENTS = 6;

  @TempDir Path dir;
  private Processes procs;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private ExecutorService pool;

  @BeforeEach
  void processes() {
    procs = new Processes(dir.resolve("logs"));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
    channels.forEach(ManagedChannel::shutdownNow);
    procs.close();
  }

  @Test
  void c2_two_replicas_on_one_postgresql_never_allocate_more_than_purchased() throws Exception {
    TestDatabases.Db db = TestDatabases.emptyPostgres();
    // Both replicas start at the same time on the empty database: Flyway serialises the
    // migration (PostgreSQL advisory lock) and exactly one replica creates the first admin.
    var optionsA = Processes.ServerOptions.h2(dir.resolve("a")).withDatabase(db);
    var optionsB = Processes.ServerOptions.h2(dir.resolve("b")).withDatabase(db);
    Processes.Proc aStarting = procs.launchOrchestrator("a", optionsA);
    Processes.Proc bStarting = procs.launchOrchestrator("b", optionsB);
    Processes.Orchestrator a = procs.awaitStarted(aStarting, optionsA);
    Processes.Orchestrator b = procs.awaitStarted(bStarting, optionsB);
    boolean aHasToken = Files.exists(a.dataDir.resolve("admin.token"));
    boolean bHasToken = Files.exists(b.dataDir.resolve("admin.token"));
    assertThat(aHasToken ^ bHasToken)
        .as("exactly one replica wrote admin.token (a=%s, b=%s)", aHasToken, bHasToken)
        .isTrue();
    String token = Files.readString((aHasToken ? a : b).dataDir.resolve("admin.token")).trim();

    List<CapacityServiceBlockingStub> replicas = new ArrayList<>();
    for (Processes.Orchestrator p : List.of(a, b)) {
      ManagedChannel ch = p.channel();
      channels.add(ch);
      replicas.add(CapacityServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(token)));
    }
    var envs =
        EnvironmentServiceGrpc.newBlockingStub(channels.get(1))
            .withCallCredentials(bearer(token))
            .withDeadlineAfter(30, TimeUnit.SECONDS);
    for (int i = 0; i < ENVIRONMENTS; i++) {
      envs.createEnvironment(
          CreateEnvironmentRequest.newBuilder()
              .setName("e" + i)
              .setType(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
              .build());
    }
    replicas
        .get(0)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .createPurchase(
            CreatePurchaseRequest.newBuilder()
                .setSku(Sku.SKU_PROCESS)
                .setQuantity(PURCHASED)
                .build());

    pool = Executors.newFixedThreadPool(THREADS + 1);
    AtomicBoolean hammering = new AtomicBoolean(true);
    AtomicLong maxSeen = new AtomicLong();
    AtomicInteger samples = new AtomicInteger();
    Future<?> watcher =
        pool.submit(
            () -> {
              try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
                  Statement s = c.createStatement()) {
                while (hammering.get()) {
                  maxSeen.accumulateAndGet(sumOfProcessAllocations(s), Math::max);
                  samples.incrementAndGet();
                }
              }
              return null;
            });

    AtomicInteger[] granted = {new AtomicInteger(), new AtomicInteger()};
    AtomicInteger refused = new AtomicInteger();
    ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      workers.add(
          pool.submit(
              () -> {
                go.await();
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < CALLS_PER_THREAD; i++) {
                  int replica = random.nextInt(2);
                  String env = "e" + random.nextInt(ENVIRONMENTS);
                  long quantity = random.nextInt(6);
                  try {
                    replicas
                        .get(replica)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .setAllocation(
                            SetAllocationRequest.newBuilder()
                                .setEnvironment(env)
                                .setSku(Sku.SKU_PROCESS)
                                .setQuantity(quantity)
                                .build());
                    granted[replica].incrementAndGet();
                  } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
                        && GrpcErrors.reason(e).equals("C2_EXCEEDS_PURCHASED")) {
                      refused.incrementAndGet();
                    } else {
                      unexpected.add(e.getStatus() + " " + GrpcErrors.reason(e));
                    }
                  }
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> w : workers) {
      w.get(90, TimeUnit.SECONDS);
    }
    hammering.set(false);
    watcher.get(30, TimeUnit.SECONDS);

    System.out.printf(
        "c2 race: granted a=%d b=%d, refused=%d, watcher samples=%d, max sum seen=%d%n",
        granted[0].get(), granted[1].get(), refused.get(), samples.get(), maxSeen.get());
    assertThat(unexpected).as("only C2 refusals are expected").isEmpty();
    assertThat(granted[0].get()).as("calls granted through replica a").isPositive();
    assertThat(granted[1].get()).as("calls granted through replica b").isPositive();
    assertThat(refused.get())
        .as("the race pushed past the purchased units at least once")
        .isPositive();
    assertThat(samples.get()).isPositive();
    assertThat(maxSeen.get())
        .as("largest committed sum a watcher saw while hammering")
        .isLessThanOrEqualTo(PURCHASED);

    long inDatabase;
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
        Statement s = c.createStatement()) {
      inDatabase = sumOfProcessAllocations(s);
    }
    assertThat(inDatabase).isLessThanOrEqualTo(PURCHASED);
    for (CapacityServiceBlockingStub replica : replicas) {
      SkuSummary process =
          replica
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance())
              .getSkusList()
              .stream()
              .filter(s -> s.getSku() == Sku.SKU_PROCESS)
              .findFirst()
              .orElseThrow();
      assertThat(process.getPurchased()).isEqualTo(PURCHASED);
      assertThat(process.getAllocated()).isEqualTo(inDatabase);
      assertThat(process.getAvailable()).isEqualTo(PURCHASED - inDatabase);
    }
  }

  private static long sumOfProcessAllocations(Statement s) throws java.sql.SQLException {
    try (ResultSet rs =
        s.executeQuery("SELECT COALESCE(SUM(quantity), 0) FROM allocation WHERE sku = 'PROCESS'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
