package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Run the orchestrator (gRPC API, /metrics, /healthz).")
final class ServerCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      defaultValue = "data",
      description =
          "State directory: H2 database, admin.token, ports.json (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--bind",
      defaultValue = "0.0.0.0",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--grpc-port",
      defaultValue = "7443",
      description = "gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(
      names = "--http-port",
      defaultValue = "9464",
      description =
          "HTTP port for /metrics and /healthz; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--db-url",
      description =
          "JDBC URL, e.g. jdbc:postgresql://db:5432/botfleet (default: H2 file under --data-dir).")
  String dbUrl;

  @Option(names = "--db-user", description = "Database user.")
  String dbUser;

  @Option(names = "--db-password", description = "Database password (prefer BOTFLEET_DB_PASSWORD).")
  String dbPassword;

  @Option(
      names = "--db-pool-size",
      defaultValue = "16",
      description = "Database connections (default: ${DEFAULT-VALUE}).")
  int dbPoolSize;

  @Option(
      names = "--db-wait",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "How long a call waits for a database connection before failing with UNAVAILABLE, e.g. while the database is down (default: ${DEFAULT-VALUE}).")
  Duration dbWait;

  @Option(
      names = "--heartbeat-interval",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "Agent heartbeat interval (default: ${DEFAULT-VALUE}).")
  Duration heartbeatInterval;

  @Option(
      names = "--offline-after",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description =
          "A machine silent this long is OFFLINE and its runs are lost (A3, R5) (default: ${DEFAULT-VALUE}).")
  Duration offlineAfter;

  @Option(
      names = "--assign-lease",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "An assignment whose start the agent has not reported in this time goes back to the queue"
              + " if its flow is retryable; otherwise it waits for the agent to confirm it never"
              + " took it, or is lost (R5) (default: ${DEFAULT-VALUE}).")
  Duration assignLease;

  @Option(
      names = "--restart-grace",
      converter = DurationConverter.class,
      description =
          "After a start, how long agents get to reconnect before any machine is declared OFFLINE"
              + " or any lease expires (A3) (default: offline-after plus one heartbeat interval).")
  Duration restartGrace;

  @Option(
      names = "--insecure-plaintext",
      description =
          "Serve gRPC without TLS: tokens and credentials cross the network readable and agents are"
              + " not authenticated by certificate. Only for a trusted loopback or test network.")
  boolean insecurePlaintext;

  @Option(
      names = "--tls-dir",
      description =
          "Where the CA (ca.pem, ca.key) and the server certificate live; replicas share one"
              + " (default: <data-dir>/tls).")
  Path tlsDir;

  @Option(
      names = "--tls-cert",
      description = "Your server certificate chain (PEM) instead of one from Botfleet's CA.")
  Path tlsCert;

  @Option(names = "--tls-key", description = "The private key (PEM, unencrypted) of --tls-cert.")
  Path tlsKey;

  @Option(
      names = "--tls-ca",
      description =
          "The CA (PEM) that issued --tls-cert: what agents pin and the CLI trusts (default: the"
              + " last certificate of --tls-cert).")
  Path tlsCa;

  @Option(
      names = "--tls-name",
      description =
          "A host name or IP clients use to reach this server, put in Botfleet's server"
              + " certificate besides localhost and this host's name; repeatable.")
  java.util.List<String> tlsNames = new java.util.ArrayList<>();

  @Option(
      names = "--agent-cert-life",
      defaultValue = "7d",
      converter = DurationConverter.class,
      description =
          "Life of agents' client certificates; agents renew at two thirds of it (default:"
              + " ${DEFAULT-VALUE}).")
  Duration agentCertLife;

  // Limits against abuse (issue 12 §4); docs/configuration.md "Limits".
  @Option(
      names = "--max-concurrent-calls-per-connection",
      defaultValue = "100",
      description =
          "Calls (streams) one connection may hold open at once (default: ${DEFAULT-VALUE}).")
  int maxConcurrentCallsPerConnection;

  @Option(
      names = "--permit-keepalive-time",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description =
          "The most often a client may ping; below the agent's 30s keepalive (default: ${DEFAULT-VALUE}).")
  Duration permitKeepAliveTime;

  @Option(
      names = "--keepalive-time",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "How often the server pings an idle connection (default: ${DEFAULT-VALUE}).")
  Duration keepAliveTime;

  @Option(
      names = "--keepalive-timeout",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description =
          "How long a ping may go unanswered before the connection closes (default: ${DEFAULT-VALUE}).")
  Duration keepAliveTimeout;

  @Option(
      names = "--max-connection-age",
      defaultValue = "1h",
      converter = DurationConverter.class,
      description =
          "Connections older than this are told to go away so load balancers can rebalance; 0s: never (default: ${DEFAULT-VALUE}).")
  Duration maxConnectionAge;

  @Option(
      names = "--max-connection-age-grace",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "How long calls on such a connection may still run; agents then reconnect (default: ${DEFAULT-VALUE}).")
  Duration maxConnectionAgeGrace;

  @Option(
      names = "--max-inbound-message-size",
      defaultValue = "4194304",
      description = "Largest request message in bytes (default: ${DEFAULT-VALUE}).")
  int maxInboundMessageSize;

  @Option(
      names = "--rate-limit",
      defaultValue = "1000",
      description =
          "Requests per second one principal may make on average; 0: no limit; agent streams are not counted (default: ${DEFAULT-VALUE}).")
  double rateLimit;

  @Option(
      names = "--rate-limit-burst",
      defaultValue = "2000",
      description =
          "Requests one principal may make at once above that rate (default: ${DEFAULT-VALUE}).")
  int rateLimitBurst;

  @Option(
      names = "--run-retention",
      defaultValue = "30d",
      converter = DurationConverter.class,
      description =
          "Finished runs older than this are purged in the background, with their idempotency keys; 0 keeps them for ever (default: ${DEFAULT-VALUE}).")
  Duration runRetention;

  @Override
  public Integer call() throws Exception {
    Orchestrator o = Orchestrator.start(config());
    Runtime.getRuntime().addShutdownHook(new Thread(o::close, "shutdown"));
    PortsFile.write(dataDir, o.grpcPort(), o.httpPort());
    printBanner(o);
    o.blockUntilShutdown();
    return 0;
  }

  OrchestratorConfig config() {
    return new OrchestratorConfig(
            dataDir,
            bind,
            grpcPort,
            httpPort,
            blankToNull(dbUrl),
            dbUser,
            dbPassword,
            dbPoolSize,
            Clock.systemUTC())
        .withTimings(
            new OrchestratorConfig.Timings(
                heartbeatInterval,
                offlineAfter,
                Duration.ofSeconds(1),
                assignLease,
                restartGrace != null ? restartGrace : offlineAfter.plus(heartbeatInterval)))
        .withDbWait(dbWait)
        .withTls(tls())
        .withLimits(
            new OrchestratorConfig.Limits(
                maxConcurrentCallsPerConnection,
                permitKeepAliveTime,
                keepAliveTime,
                keepAliveTimeout,
                maxConnectionAge,
                maxConnectionAgeGrace,
                maxInboundMessageSize,
                rateLimit,
                rateLimitBurst))
        .withRetention(OrchestratorConfig.Retention.defaults().withRuns(runRetention));
  }

  OrchestratorConfig.Tls tls() {
    return new OrchestratorConfig.Tls(
        insecurePlaintext, tlsDir, tlsCert, tlsKey, tlsCa, tlsNames, agentCertLife);
  }

  static void printBanner(Orchestrator o) {
    System.out.println("botfleet orchestrator started");
    System.out.println("  grpc:    localhost:" + o.grpcPort());
    System.out.println("  metrics: http://localhost:" + o.httpPort() + "/metrics");
    System.out.println("  health:  http://localhost:" + o.httpPort() + "/healthz");
    System.out.println("  database: " + o.database.url());
    if (o.tls == null) {
      System.out.println(
          "  tls:     OFF (--insecure-plaintext): traffic is readable on the network");
    } else {
      System.out.println(
          "  tls:     mutual TLS; clients trust "
              + o.tls.clientCaFile().toAbsolutePath()
              + " (CA "
              + dev.botfleet.common.tls.Fingerprint.of(o.tls.serverAuthorities().get(0))
              + ")");
    }
    System.out.println(
        "  admin token: "
            + o.adminTokenFile()
                .map(p -> p.toAbsolutePath().toString())
                .orElse("(created by the first server of this database)"));
    System.out.flush();
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
