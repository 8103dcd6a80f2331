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
    Tls tls,
    Limits limits,
    Retention retention) {

  /** How long a call waits for a database connection by default (--db-wait). */
  public static final Duration DEFAULT_DB_WAIT = Duration.ofSeconds(2);

  /**
   * Agent stream timing (A3): heartbeat interval pushed to agents, silence after which a machine is
   * OFFLINE, how often time-driven rules are swept, how long an assignment may stay unacknowledged
   * before its lease expires (R5), and the grace after a start during which no machine is declared
   * OFFLINE and no lease expires, so a restart never marks a healthy fleet lost.
   */
  public record Timings(
      Duration heartbeatInterval,
      Duration offlineAfter,
      Duration sweepInterval,
      Duration assignLease,
      Duration restartGrace) {
    /** With the default restart grace: offline-after plus one heartbeat interval (A3). */
    public Timings(
        Duration heartbeatInterval,
        Duration offlineAfter,
        Duration sweepInterval,
        Duration assignLease) {
      this(
          heartbeatInterval,
          offlineAfter,
          sweepInterval,
          assignLease,
          offlineAfter.plus(heartbeatInterval));
    }

    public Timings {
      requireNonNull(heartbeatInterval, "heartbeatInterval");
      requireNonNull(offlineAfter, "offlineAfter");
      requireNonNull(sweepInterval, "sweepInterval");
      requireNonNull(assignLease, "assignLease");
      requireNonNull(restartGrace, "restartGrace");
      if (restartGrace.isNegative()) {
        throw new IllegalArgumentException(
            "restart-grace: " + restartGrace + " (expected: zero or more)");
      }
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

  /**
   * Limits against abuse (issue 12 §4), applied to the gRPC server: calls per connection, keepalive
   * enforcement, connection age, message size, and a per-principal request rate.
   *
   * @param maxConcurrentCallsPerConnection streams one connection may hold open at once
   * @param permitKeepAliveTime the most often a client may ping; must stay below the agent's
   *     keepalive ({@link #AGENT_KEEPALIVE_TIME}), or the server would end agent connections with
   *     too_many_pings
   * @param keepAliveTime how often the server pings an idle connection to find dead peers
   * @param keepAliveTimeout how long the server waits for a ping's answer before closing
   * @param maxConnectionAge after this a connection is told to go away (GOAWAY), so load balancers
   *     can rebalance; zero: never. gRPC adds ±10% jitter
   * @param maxConnectionAgeGrace how long calls on a connection past its age may still run; the
   *     agent's stream is cut then and the agent reconnects with back-off and re-sends its reports
   *     (A6), well within offline-after, so no run is lost
   * @param maxInboundMessageSize the largest request message, in bytes
   * @param rateLimitPerSecond requests per second one principal may make on average (a token bucket
   *     per principal id); zero: no limit. The agent stream is not counted
   * @param rateLimitBurst how many requests one principal may make at once above the rate
   */
  public record Limits(
      int maxConcurrentCallsPerConnection,
      Duration permitKeepAliveTime,
      Duration keepAliveTime,
      Duration keepAliveTimeout,
      Duration maxConnectionAge,
      Duration maxConnectionAgeGrace,
      int maxInboundMessageSize,
      double rateLimitPerSecond,
      int rateLimitBurst) {
    public Limits {
      requireNonNull(permitKeepAliveTime, "permitKeepAliveTime");
      requireNonNull(keepAliveTime, "keepAliveTime");
      requireNonNull(keepAliveTimeout, "keepAliveTimeout");
      requireNonNull(maxConnectionAge, "maxConnectionAge");
      requireNonNull(maxConnectionAgeGrace, "maxConnectionAgeGrace");
      if (maxConcurrentCallsPerConnection < 1) {
        throw new IllegalArgumentException(
            "max-concurrent-calls-per-connection: "
                + maxConcurrentCallsPerConnection
                + " (expected: >= 1)");
      }
      if (permitKeepAliveTime.isNegative()
          || permitKeepAliveTime.compareTo(AGENT_KEEPALIVE_TIME) >= 0) {
        throw new IllegalArgumentException(
            "permit-keepalive-time: "
                + permitKeepAliveTime
                + " (expected: below the agent's keepalive of "
                + AGENT_KEEPALIVE_TIME
                + ", or agents' connections end with too_many_pings)");
      }
      if (keepAliveTime.compareTo(Duration.ofSeconds(10)) < 0
          || keepAliveTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            "keepalive-time: "
                + keepAliveTime
                + ", keepalive-timeout: "
                + keepAliveTimeout
                + " (expected: at least 10s and 1s)");
      }
      if (maxConnectionAge.isNegative()
          // Below a few seconds every agent would reconnect all the time.
          || (!maxConnectionAge.isZero() && maxConnectionAge.compareTo(Duration.ofSeconds(5)) < 0)
          || maxConnectionAgeGrace.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            "max-connection-age: "
                + maxConnectionAge
                + ", max-connection-age-grace: "
                + maxConnectionAgeGrace
                + " (expected: 0 or at least 5s, and a grace of at least 1s)");
      }
      if (maxInboundMessageSize < 64 * 1024) {
        throw new IllegalArgumentException(
            "max-inbound-message-size: "
                + maxInboundMessageSize
                + " (expected: at least 65536 bytes)");
      }
      if (!(rateLimitPerSecond >= 0) || rateLimitBurst < 1) {
        throw new IllegalArgumentException(
            "rate-limit: "
                + rateLimitPerSecond
                + ", rate-limit-burst: "
                + rateLimitBurst
                + " (expected: a rate >= 0, 0 = off, and a burst >= 1)");
      }
    }

    /** The defaults of {@code botfleet server}; docs/configuration.md lists them. */
    public static Limits defaults() {
      return new Limits(
          100,
          Duration.ofSeconds(20),
          Duration.ofSeconds(60),
          Duration.ofSeconds(20),
          Duration.ofHours(1),
          Duration.ofSeconds(30),
          4 * 1024 * 1024,
          1000,
          2000);
    }

    public Limits withRateLimit(double perSecond, int burst) {
      return new Limits(
          maxConcurrentCallsPerConnection,
          permitKeepAliveTime,
          keepAliveTime,
          keepAliveTimeout,
          maxConnectionAge,
          maxConnectionAgeGrace,
          maxInboundMessageSize,
          perSecond,
          burst);
    }
  }

  /** The agent's keepalive ping interval (agent {@code AgentLink.KEEPALIVE_TIME}). */
  public static final Duration AGENT_KEEPALIVE_TIME = Duration.ofSeconds(30);

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
      Timings timings,
      Duration dbWait) {
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
        dbWait,
        Tls.insecurePlaintext(),
        Limits.defaults(),
        Retention.defaults());
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
        Tls.insecurePlaintext(),
        Limits.defaults(),
        Retention.defaults());
  }

  public OrchestratorConfig withDbWait(Duration wait) {
    return with(c -> c.dbWait = wait);
  }

  public OrchestratorConfig withTimings(Timings t) {
    return with(c -> c.timings = t);
  }

  public OrchestratorConfig withLimits(Limits l) {
    return with(c -> c.limits = l);
  }

  public OrchestratorConfig withRetention(Retention r) {
    return with(c -> c.retention = r);
  }

  /** A config with every component given, retention at its defaults (tests built in code). */
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
      Timings timings,
      Duration dbWait,
      Tls tls,
      Limits limits) {
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
        dbWait,
        tls,
        limits,
        Retention.defaults());
  }

  /**
   * Retention of run history (issue 9): runs that ended longer ago than {@code runs} are purged in
   * the background, {@code batchSize} rows per transaction with {@code pause} between transactions,
   * one pass every {@code interval}.
   *
   * @param runs how long a finished run is kept ({@code --run-retention}); zero keeps runs for ever
   */
  public record Retention(Duration runs, int batchSize, Duration pause, Duration interval) {
    public Retention {
      requireNonNull(runs, "runs");
      requireNonNull(pause, "pause");
      requireNonNull(interval, "interval");
      if (runs.isNegative() || (!runs.isZero() && runs.compareTo(Duration.ofHours(1)) < 0)) {
        throw new IllegalArgumentException(
            "run-retention: " + runs + " (expected: 0 to keep runs for ever, or at least 1h)");
      }
      if (batchSize < 1 || batchSize > 10_000) {
        throw new IllegalArgumentException(
            "retention batch size: " + batchSize + " (expected: 1 to 10000)");
      }
      if (pause.isNegative() || interval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            "retention pause: " + pause + ", interval: " + interval + " (expected: >= 0, >= 1s)");
      }
    }

    public static Retention defaults() {
      return new Retention(
          dev.botfleet.orchestrator.runs.RunRetention.DEFAULT_RETENTION,
          dev.botfleet.orchestrator.runs.RunRetention.DEFAULT_BATCH_SIZE,
          dev.botfleet.orchestrator.runs.RunRetention.DEFAULT_PAUSE,
          dev.botfleet.orchestrator.runs.RunRetention.DEFAULT_INTERVAL);
    }

    public Retention withRuns(Duration keep) {
      return new Retention(keep, batchSize, pause, interval);
    }
  }

  public OrchestratorConfig {
    requireNonNull(timings, "timings");
    requireNonNull(limits, "limits");
    requireNonNull(retention, "retention");
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
    return with(
        c -> {
          c.grpcPort = grpc;
          c.httpPort = http;
        });
  }

  public OrchestratorConfig withDatabase(String url, String user, String password) {
    return with(
        c -> {
          c.dbUrl = url;
          c.dbUser = user;
          c.dbPassword = password;
        });
  }

  public OrchestratorConfig withClock(Clock c) {
    return with(x -> x.clock = c);
  }

  public OrchestratorConfig withTls(Tls t) {
    return with(c -> c.tls = t);
  }

  /** A copy with {@code change} applied: one place that lists every component. */
  private OrchestratorConfig with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new OrchestratorConfig(
        c.dataDir,
        c.bindHost,
        c.grpcPort,
        c.httpPort,
        c.dbUrl,
        c.dbUser,
        c.dbPassword,
        c.dbPoolSize,
        c.clock,
        c.timings,
        c.dbWait,
        c.tls,
        c.limits,
        c.retention);
  }

  /** The components of a config being changed by a {@code withX} method. */
  private static final class Copy {
    Path dataDir;
    String bindHost;
    int grpcPort;
    int httpPort;
    String dbUrl;
    String dbUser;
    String dbPassword;
    int dbPoolSize;
    Clock clock;
    Timings timings;
    Duration dbWait;
    Tls tls;
    Limits limits;
    Retention retention;

    Copy(OrchestratorConfig o) {
      dataDir = o.dataDir;
      bindHost = o.bindHost;
      grpcPort = o.grpcPort;
      httpPort = o.httpPort;
      dbUrl = o.dbUrl;
      dbUser = o.dbUser;
      dbPassword = o.dbPassword;
      dbPoolSize = o.dbPoolSize;
      clock = o.clock;
      timings = o.timings;
      dbWait = o.dbWait;
      tls = o.tls;
      limits = o.limits;
      retention = o.retention;
    }
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
