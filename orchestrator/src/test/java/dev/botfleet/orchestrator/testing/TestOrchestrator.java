package dev.botfleet.orchestrator.testing;

import static dev.botfleet.testing.BearerToken.bearer;

import dev.botfleet.common.MutableClock;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.testing.TestDatabases;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.AbstractStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real orchestrator (real database, real services, real gRPC server) on an in-process transport,
 * with a settable clock. Use {@link #h2} or {@link #postgres}.
 */
public final class TestOrchestrator implements AutoCloseable {
  public final Orchestrator orchestrator;
  public final MutableClock clock;
  public final String adminToken;
  private final String serverName;
  private final ManagedChannel channel;

  private TestOrchestrator(Path dataDir, TestDatabases.Db db) throws Exception {
    this(dataDir, db, OrchestratorConfig.Timings.defaults());
  }

  private TestOrchestrator(Path dataDir, TestDatabases.Db db, OrchestratorConfig.Timings timings)
      throws Exception {
    this(dataDir, db, timings, OrchestratorConfig.DEFAULT_DB_WAIT);
  }

  private TestOrchestrator(
      Path dataDir,
      TestDatabases.Db db,
      OrchestratorConfig.Timings timings,
      java.time.Duration dbWait)
      throws Exception {
    this(dataDir, db, timings, dbWait, OrchestratorConfig.Limits.defaults());
  }

  private TestOrchestrator(
      Path dataDir,
      TestDatabases.Db db,
      OrchestratorConfig.Timings timings,
      java.time.Duration dbWait,
      OrchestratorConfig.Limits limits)
      throws Exception {
    clock = new MutableClock(Instant.parse("2026-01-05T09:00:00Z"));
    OrchestratorConfig config =
        OrchestratorConfig.defaults(dataDir)
            .withPorts(0, 0)
            .withDatabase(db.url(), db.user(), db.password())
            .withClock(clock);
    config =
        new OrchestratorConfig(
            dataDir,
            "127.0.0.1",
            0,
            0,
            config.dbUrl(),
            config.dbUser(),
            config.dbPassword(),
            8,
            clock,
            timings,
            dbWait,
            // The in-process transport has no TLS; TLS is tested on real ports (issue 12).
            OrchestratorConfig.Tls.insecurePlaintext(),
            limits);
    orchestrator = Orchestrator.open(config);
    serverName = "botfleet-" + System.nanoTime();
    orchestrator.startEndpoints(InProcessServerBuilder.forName(serverName));
    adminToken = Files.readString(dataDir.resolve("admin.token")).trim();
    channel = InProcessChannelBuilder.forName(serverName).build();
  }

  public static TestOrchestrator h2(Path dir) throws Exception {
    return new TestOrchestrator(dir, h2Database(dir));
  }

  public static TestOrchestrator postgres(Path dir) throws Exception {
    return new TestOrchestrator(dir, TestDatabases.postgres());
  }

  public static TestOrchestrator h2(Path dir, OrchestratorConfig.Timings timings) throws Exception {
    return new TestOrchestrator(dir, h2Database(dir), timings);
  }

  public static TestOrchestrator postgres(Path dir, OrchestratorConfig.Timings timings)
      throws Exception {
    return new TestOrchestrator(dir, TestDatabases.postgres(), timings);
  }

  /** On H2 with the given limits against abuse (issue 12 §4). */
  public static TestOrchestrator h2(Path dir, OrchestratorConfig.Limits limits) throws Exception {
    return new TestOrchestrator(
        dir,
        h2Database(dir),
        OrchestratorConfig.Timings.defaults(),
        OrchestratorConfig.DEFAULT_DB_WAIT,
        limits);
  }

  /** On a given database (e.g. behind a proxy a test can cut) with a given --db-wait (issue 7). */
  public static TestOrchestrator on(Path dir, TestDatabases.Db db, java.time.Duration dbWait)
      throws Exception {
    return new TestOrchestrator(dir, db, OrchestratorConfig.Timings.defaults(), dbWait);
  }

  /**
   * The in-process channel, for protocol-level clients such as {@link
   * dev.botfleet.testing.ProtocolAgent}.
   */
  public io.grpc.Channel channel() {
    return channel;
  }

  /** A stub calling as the bootstrap GLOBAL_ADMIN. */
  public <S extends AbstractStub<S>> S admin(Function<io.grpc.Channel, S> factory) {
    return as(adminToken, factory);
  }

  public <S extends AbstractStub<S>> S as(String token, Function<io.grpc.Channel, S> factory) {
    return factory
        .apply(channel)
        .withCallCredentials(bearer(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  public <S extends AbstractStub<S>> S anonymous(Function<io.grpc.Channel, S> factory) {
    return factory.apply(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Creates a principal directly through the service and returns its token. */
  public String principal(String name, Role role, String environment) {
    Principal admin = orchestrator.principals.authenticate(adminToken).orElseThrow();
    return orchestrator.principals.create(admin, name, role, environment).token();
  }

  public Principal adminPrincipal() {
    return orchestrator.principals.authenticate(adminToken).orElseThrow();
  }

  public Principal principalOf(String token) {
    return orchestrator.principals.authenticate(token).orElseThrow();
  }

  private static TestDatabases.Db h2Database(Path dir) {
    return new TestDatabases.Db(
        dev.botfleet.orchestrator.store.Database.h2FileUrl(dir), null, null);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    orchestrator.close();
  }
}
