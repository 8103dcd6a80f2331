package dev.botfleet.orchestrator;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Everything the orchestrator needs to start. {@code dbUrl} null means the embedded H2 file
 * database under {@code dataDir}. Ports 0 pick free ports. {@code dbWait} bounds how long a call
 * waits for a database connection before it fails with UNAVAILABLE (issue 7).
 */
public record OrchestratorConfig(
    Path dataDir,
    String bindHost,
    int grpcPort,
    int httpPort,
    String dbUrl,
    String dbUser,
    String dbPassword,
    int dbPoolSize,
    Clock clock,
    Timings timings,
    Duration dbWait) {

  /** How long a call waits for a database connection by default (--db-wait). */
  public static final Duration DEFAULT_DB_WAIT = Duration.ofSeconds(2);

  /**
   * Agent stream timing (A3): heartbeat interval pushed to agents, silence after which a machine is
   * OFFLINE, how often time-driven rules are swept, and how long an assignment may stay
   * unacknowledged before it goes back to the queue.
   */
  public record Timings(
      Duration heartbeatInterval,
      Duration offlineAfter,
      Duration sweepInterval,
      Duration assignLease) {
    public Timings {
      requireNonNull(heartbeatInterval, "heartbeatInterval");
      requireNonNull(offlineAfter, "offlineAfter");
      requireNonNull(sweepInterval, "sweepInterval");
      requireNonNull(assignLease, "assignLease");
      if (offlineAfter.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException(
            "offline-after: "
                + offlineAfter
                + " (expected: at least twice the heartbeat interval "
                + heartbeatInterval
                + ")");
      }
    }

    public static Timings defaults() {
      return new Timings(
          Duration.ofSeconds(5),
          Duration.ofSeconds(20),
          Duration.ofSeconds(1),
          Duration.ofSeconds(30));
    }
  }

  public OrchestratorConfig(
      Path dataDir,
      String bindHost,
      int grpcPort,
      int httpPort,
      String dbUrl,
      String dbUser,
      String dbPassword,
      int dbPoolSize,
      Clock clock) {
    this(
        dataDir,
        bindHost,
        grpcPort,
        httpPort,
        dbUrl,
        dbUser,
        dbPassword,
        dbPoolSize,
        clock,
        Timings.defaults());
  }

  public OrchestratorConfig(
      Path dataDir,
      String bindHost,
      int grpcPort,
      int httpPort,
      String dbUrl,
      String dbUser,
      String dbPassword,
      int dbPoolSize,
      Clock clock,
      Timings timings) {
    this(
        dataDir,
        bindHost,
        grpcPort,
        httpPort,
        dbUrl,
        dbUser,
        dbPassword,
        dbPoolSize,
        clock,
        timings,
        DEFAULT_DB_WAIT);
  }

  public OrchestratorConfig withDbWait(Duration wait) {
    return new OrchestratorConfig(
        dataDir,
        bindHost,
        grpcPort,
        httpPort,
        dbUrl,
        dbUser,
        dbPassword,
        dbPoolSize,
        clock,
        timings,
        wait);
  }

  public OrchestratorConfig withTimings(Timings t) {
    return new OrchestratorConfig(
        dataDir,
        bindHost,
        grpcPort,
        httpPort,
        dbUrl,
        dbUser,
        dbPassword,
        dbPoolSize,
        clock,
        t,
        dbWait);
  }

  public OrchestratorConfig {
    requireNonNull(timings, "timings");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(bindHost, "bindHost");
    requireNonNull(clock, "clock");
    requireNonNull(dbWait, "dbWait");
    if (dbWait.compareTo(Duration.ofMillis(250)) < 0
        || dbWait.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException(
          "db-wait: " + dbWait + " (expected: between 250ms and 1m)");
    }
    if (dbPoolSize < 2) {
      throw new IllegalArgumentException("db-pool-size: " + dbPoolSize + " (expected: >= 2)");
    }
  }

  public static OrchestratorConfig defaults(Path dataDir) {
    return new OrchestratorConfig(
        dataDir, "0.0.0.0", 7443, 9464, null, null, null, 16, Clock.systemUTC());
  }

  public OrchestratorConfig withPorts(int grpc, int http) {
    return new OrchestratorConfig(
        dataDir,
        bindHost,
        grpc,
        http,
        dbUrl,
        dbUser,
        dbPassword,
        dbPoolSize,
        clock,
        timings,
        dbWait);
  }

  public OrchestratorConfig withDatabase(String url, String user, String password) {
    return new OrchestratorConfig(
        dataDir,
        bindHost,
        grpcPort,
        httpPort,
        url,
        user,
        password,
        dbPoolSize,
        clock,
        timings,
        dbWait);
  }

  public OrchestratorConfig withClock(Clock c) {
    return new OrchestratorConfig(
        dataDir,
        bindHost,
        grpcPort,
        httpPort,
        dbUrl,
        dbUser,
        dbPassword,
        dbPoolSize,
        c,
        timings,
        dbWait);
  }
}
