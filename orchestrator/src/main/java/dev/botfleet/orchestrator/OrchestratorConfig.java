package dev.botfleet.orchestrator;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Clock;

/**
 * Everything the orchestrator needs to start. {@code dbUrl} null means the embedded H2 file
 * database under {@code dataDir}. Ports 0 pick free ports.
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
    Clock clock) {

  public OrchestratorConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(bindHost, "bindHost");
    requireNonNull(clock, "clock");
    if (dbPoolSize < 2) {
      throw new IllegalArgumentException("db-pool-size: " + dbPoolSize + " (expected: >= 2)");
    }
  }

  public static OrchestratorConfig defaults(Path dataDir) {
    return new OrchestratorConfig(dataDir, "0.0.0.0", 7443, 9464, null, null, null, 16, Clock.systemUTC());
  }

  public OrchestratorConfig withPorts(int grpc, int http) {
    return new OrchestratorConfig(dataDir, bindHost, grpc, http, dbUrl, dbUser, dbPassword, dbPoolSize, clock);
  }

  public OrchestratorConfig withDatabase(String url, String user, String password) {
    return new OrchestratorConfig(dataDir, bindHost, grpcPort, httpPort, url, user, password, dbPoolSize, clock);
  }

  public OrchestratorConfig withClock(Clock c) {
    return new OrchestratorConfig(dataDir, bindHost, grpcPort, httpPort, dbUrl, dbUser, dbPassword, dbPoolSize, c);
  }
}
