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
    Duration dbWait,
    Tls tls) {

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
        DEFAULT_DB_WAIT,
        Tls.insecurePlaintext());
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
        wait,
        tls);
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
        dbWait,
        tls);
  }

  public OrchestratorConfig {
    requireNonNull(timings, "timings");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(bindHost, "bindHost");
    requireNonNull(clock, "clock");
    requireNonNull(dbWait, "dbWait");
    requireNonNull(tls, "tls");
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
        dbWait,
        tls);
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
        dbWait,
        tls);
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
        dbWait,
        tls);
  }

  public OrchestratorConfig withTls(Tls t) {
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
        dbWait,
        t);
  }

  /**
   * Transport security of the gRPC endpoint (issue 12 §1). {@code server start} and the demo serve
   * mutual TLS unless told {@code --insecure-plaintext}; a config built in code (tests with an
   * in-process transport, which has no TLS) starts plaintext unless it says otherwise.
   *
   * @param plaintext serve without TLS (and issue no client certificates)
   * @param dir where the CA and the server certificate live; null means {@code <data-dir>/tls}
   * @param certFile an operator's server certificate chain (PEM), or null for our own
   * @param keyFile the key of {@code certFile}
   * @param caFile the CA(s) clients trust {@code certFile} by, or null for the chain's last one
   * @param names host names and IPs our own server certificate names besides localhost
   * @param agentCertLife life of agents' client certificates
   */
  public record Tls(
      boolean plaintext,
      Path dir,
      Path certFile,
      Path keyFile,
      Path caFile,
      java.util.List<String> names,
      Duration agentCertLife) {
    public Tls {
      names = java.util.List.copyOf(names);
      requireNonNull(agentCertLife, "agentCertLife");
      if ((certFile == null) != (keyFile == null)) {
        throw new IllegalArgumentException(
            "tls-cert and tls-key: give both or neither (got "
                + (certFile == null ? "tls-key" : "tls-cert")
                + " alone)");
      }
    }

    public static Tls insecurePlaintext() {
      return new Tls(
          true,
          null,
          null,
          null,
          null,
          java.util.List.of(),
          dev.botfleet.orchestrator.machines.MachineCertificates.DEFAULT_LIFE);
    }

    /** Our own CA and server certificate under {@code <data-dir>/tls}. */
    public static Tls ownCa() {
      return new Tls(
          false,
          null,
          null,
          null,
          null,
          java.util.List.of(),
          dev.botfleet.orchestrator.machines.MachineCertificates.DEFAULT_LIFE);
    }

    public Tls withAgentCertLife(Duration life) {
      return new Tls(plaintext, dir, certFile, keyFile, caFile, names, life);
    }
  }
}
