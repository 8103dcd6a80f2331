package dev.botfleet.orchestrator.e2e;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import dev.botfleet.orchestrator.cli.Cli;
import dev.botfleet.orchestrator.testing.TestDatabases;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The real orchestrator as a separate JVM ({@code BotfleetCli server}) on free ports, for tests
 * that need a process boundary: SIGKILL (O2) and several replicas on one database. The ports are
 * read from the banner the server prints; all output goes to {@code <logDir>/orchestrator-N.log}.
 * Close it (or {@link #kill9()}) in {@code @AfterEach}; every wait is bounded.
 */
public final class OrchestratorProcess implements AutoCloseable {
  private static final Pattern GRPC = Pattern.compile("^\\s*grpc:\\s+\\S+:(\\d+)\\s*$");
  private static final Pattern METRICS =
      Pattern.compile("^\\s*metrics:\\s+http://[^/]+:(\\d+)/metrics\\s*$");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private final Process process;
  private final Path dataDir;
  private final Path log;
  private final Writer logWriter;
  private final List<Thread> pumps = new ArrayList<>();
  private volatile int grpcPort;
  private volatile int httpPort;

  private OrchestratorProcess(Path dataDir, Path logDir, TestDatabases.Db db) throws IOException {
    this.dataDir = requireNonNull(dataDir, "dataDir");
    Files.createDirectories(logDir);
    this.log = logDir.resolve("orchestrator-" + COUNTER.incrementAndGet() + ".log");
    this.logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    cmd.add("dev.botfleet.orchestrator.cli.BotfleetCli");
    cmd.addAll(
        List.of(
            "server",
            "--data-dir",
            dataDir.toString(),
            "--grpc-port",
            "0",
            "--http-port",
            "0",
            "--bind",
            "127.0.0.1"));
    if (db != null) {
      cmd.addAll(List.of("--db-url", db.url()));
      if (db.user() != null && !db.user().isEmpty()) {
        cmd.addAll(List.of("--db-user", db.user()));
      }
      if (db.password() != null && !db.password().isEmpty()) {
        cmd.addAll(List.of("--db-password", db.password()));
      }
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // The child must not pick up a developer's BOTFLEET_* settings: only the flags above count.
    pb.environment().keySet().removeIf(k -> k.startsWith("BOTFLEET_"));
    this.process = pb.start();
    process.getOutputStream().close();
    pumps.add(pump(process.getInputStream(), "stdout"));
    pumps.add(pump(process.getErrorStream(), "stderr"));
  }

  /**
   * Starts the orchestrator on {@code dataDir} (H2 under it when {@code db} is null, else that
   * database) and waits until it printed its ports.
   */
  public static OrchestratorProcess start(Path dataDir, Path logDir, TestDatabases.Db db)
      throws IOException {
    OrchestratorProcess p = launch(dataDir, logDir, db);
    try {
      p.awaitStarted();
    } catch (RuntimeException | Error e) {
      p.kill9();
      throw e;
    }
    return p;
  }

  /**
   * Starts the JVM without waiting; call {@link #awaitStarted()} (lets tests start replicas
   * together).
   */
  public static OrchestratorProcess launch(Path dataDir, Path logDir, TestDatabases.Db db)
      throws IOException {
    return new OrchestratorProcess(dataDir, logDir, db);
  }

  /** Waits (bounded) for the banner; fails with the log when the process exits or hangs first. */
  public OrchestratorProcess awaitStarted() {
    try {
      await("orchestrator banner in " + log)
          .atMost(START_TIMEOUT)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                if (grpcPort > 0 && httpPort > 0) {
                  return true;
                }
                if (!process.isAlive()) {
                  throw new AssertionError(
                      "orchestrator exited with "
                          + process.exitValue()
                          + " before starting:\n"
                          + logText());
                }
                return false;
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "orchestrator did not print its ports within " + START_TIMEOUT + ":\n" + logText(), e);
    }
    return this;
  }

  private Thread pump(InputStream in, String name) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  Matcher g = GRPC.matcher(line);
                  if (g.matches()) {
                    grpcPort = Integer.parseInt(g.group(1));
                  }
                  Matcher m = METRICS.matcher(line);
                  if (m.matches()) {
                    httpPort = Integer.parseInt(m.group(1));
                  }
                  synchronized (logWriter) {
                    logWriter.write(line);
                    logWriter.write(System.lineSeparator());
                    logWriter.flush();
                  }
                }
              } catch (IOException e) {
                // The process is gone; nothing more to pump.
              }
            },
            "orchestrator-" + name + "-pump");
    t.setDaemon(true);
    t.start();
    return t;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** {@code 127.0.0.1:PORT}, for {@code --server}. */
  public String server() {
    return "127.0.0.1:" + grpcPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the process printed so far. */
  public String logText() {
    synchronized (logWriter) {
      try {
        logWriter.flush();
      } catch (IOException closed) {
        // closed after the process ended: the file holds everything
      }
    }
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A CLI talking to this server as the admin whose token is in {@code tokenDir}/admin.token. */
  public Cli cli(Path tokenDir) {
    return Cli.forServer(server(), tokenDir);
  }

  /** A CLI talking to this server with the token in this process's data dir. */
  public Cli cli() {
    return cli(dataDir);
  }

  /** A plaintext Netty channel to this server; the caller shuts it down. */
  public ManagedChannel channel() {
    return NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
  }

  public static CallCredentials bearer(String token) {
    requireNonNull(token, "token");
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(m);
      }
    };
  }

  /** SIGKILL on Linux ({@link Process#destroyForcibly()}): no shutdown hook runs. */
  public void kill9() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(15));
  }

  /** SIGTERM: the shutdown hook stops the server in order; SIGKILL if it takes longer than 15 s. */
  public void stop() {
    process.destroy();
    if (!awaitExit(Duration.ofSeconds(15))) {
      kill9();
    }
  }

  private boolean awaitExit(Duration timeout) {
    boolean exited;
    try {
      exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return false;
    }
    if (exited) {
      for (Thread t : pumps) {
        try {
          t.join(2_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      synchronized (logWriter) {
        try {
          logWriter.flush();
        } catch (IOException ignored) {
          // best effort: the log is for people reading a failure
        }
      }
    }
    return exited;
  }

  /** Kills the process if it still runs; safe to call more than once. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill9();
    }
    try {
      synchronized (logWriter) {
        logWriter.close();
      }
    } catch (IOException ignored) {
      // best effort
    }
  }
}
