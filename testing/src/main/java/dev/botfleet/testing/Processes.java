package dev.botfleet.testing;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts the real orchestrator and agent JVMs of one test ({@code java -cp <test classpath>}, by
 * main-class name: this module does not depend on them), each with its output in a log file under
 * the test's directory, and ends every one of them in {@link #close()}. Ports are 0 (picked by the
 * server) unless a test needs to restart on the same port; the harness reads them from the {@link
 * PortsFile} the server writes to its data dir.
 */
public final class Processes implements AutoCloseable {
  public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  public static final String ORCHESTRATOR_MAIN = "dev.botfleet.orchestrator.cli.BotfleetCli";
  public static final String AGENT_MAIN = "dev.botfleet.agent.AgentCli";

  private final Path logDir;
  private final List<Proc> all = new CopyOnWriteArrayList<>();
  private final AtomicInteger sequence = new AtomicInteger();

  public Processes(Path logDir) {
    this.logDir = logDir;
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<Proc> all() {
    return List.copyOf(all);
  }

  /** One child JVM and its log. */
  public static final class Proc {
    public final String name;
    public final Process process;
    public final Path log;

    /** The class-data archive this JVM writes when it exits normally, or null. */
    public final ClassData.Dump dump;

    Proc(String name, Process process, Path log, ClassData.Dump dump) {
      this.name = name;
      this.process = process;
      this.log = log;
      this.dump = dump;
    }

    public long pid() {
      return process.pid();
    }

    public boolean alive() {
      return process.isAlive();
    }

    public String log() {
      try {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      } catch (IOException e) {
        return "(cannot read " + log + ": " + e + ")";
      }
    }

    /** The last {@code lines} lines of the log. */
    public String tail(int lines) {
      String[] all = log().split("\n");
      StringBuilder sb = new StringBuilder();
      for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
        sb.append(all[i]).append('\n');
      }
      return sb.toString();
    }

    /** SIGKILL (destroyForcibly on Linux), then waits for the process to be gone. */
    public void kill9() {
      process.destroyForcibly();
      waitGone();
      ClassData.ended(this);
    }

    /** SIGTERM, then waits; forcibly after 20 s. */
    public void stop() {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      waitGone();
      ClassData.ended(this);
    }

    /** Waits for the process to end on its own; its exit code. */
    public int awaitExit(Duration max) {
      try {
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new AssertionError(
              name + " still running after " + max + "; log " + log + ":\n" + tail(40));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      ClassData.ended(this);
      return process.exitValue();
    }

    private void waitGone() {
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          throw new AssertionError(name + " (pid " + pid() + ") did not end");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String toString() {
      return name + " (pid " + pid() + ", log " + log + ")";
    }
  }

  /** A running orchestrator: its process, ports and data directory. */
  public static final class Orchestrator {
    public final Proc proc;
    public final Path dataDir;
    public final int grpcPort;
    public final int httpPort;

    /** The CA file clients trust this server by (issue 12 §1: the server serves mutual TLS). */
    public final Path trustFile;

    Orchestrator(Proc proc, Path dataDir, int grpcPort, int httpPort, Path trustFile) {
      this.proc = proc;
      this.dataDir = dataDir;
      this.grpcPort = grpcPort;
      this.httpPort = httpPort;
      this.trustFile = trustFile;
    }

    /** {@code 127.0.0.1:PORT}, for {@code --server}. */
    public String address() {
      return "127.0.0.1:" + grpcPort;
    }

    public String metricsUrl() {
      return "http://127.0.0.1:" + httpPort + "/metrics";
    }

    /** The token in {@code admin.token} of this data dir (written by the replica that made it). */
    public String adminToken() {
      try {
        return Files.readString(dataDir.resolve("admin.token")).trim();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** A CLI talking to this server with the token in this process's data dir. */
    public Cli cli() {
      return Cli.forServer(address(), dataDir).trusting(trustFile);
    }

    /** A TLS channel to this server, trusting its CA; the caller shuts it down. */
    public ManagedChannel channel() {
      return channelTo(address(), trustFile);
    }

    @Override
    public String toString() {
      return proc + " on " + address();
    }
  }

  /** A TLS channel to {@code target} that trusts only the CA in {@code caFile}. */
  public static ManagedChannel channelTo(String target, Path caFile) {
    var credentials =
        io.grpc.TlsChannelCredentials.newBuilder()
            .trustManager(
                dev.botfleet.common.tls.Trust.anchoredAt(
                    dev.botfleet.common.tls.Pem.readCertificates(caFile)))
            .build();
    return NettyChannelBuilder.forTarget(target, credentials).build();
  }

  /** Agent timings of a test server: machines go offline 3 s after their last heartbeat. */
  public static final List<String> SHORT_TIMINGS =
      List.of("--heartbeat-interval", "1s", "--offline-after", "3s", "--assign-lease", "10s");

  /** Small, quick JVMs: several run at once on two cores. */
  public static final List<String> SMALL_JVM =
      List.of(
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Xmx256m",
          "-Xss512k",
          "-Djava.awt.headless=true");

  /**
   * Options of one orchestrator start: data dir, gRPC port (0: any), database (null: H2 under the
   * data dir), the server's timing flags and the JVM's options.
   */
  public record ServerOptions(
      Path dataDir,
      int grpcPort,
      String dbUrl,
      String dbUser,
      String dbPassword,
      List<String> timings,
      List<String> jvmOptions,
      Path tlsDir) {
    public static ServerOptions h2(Path dataDir) {
      return new ServerOptions(dataDir, 0, null, null, null, SHORT_TIMINGS, SMALL_JVM, null);
    }

    /**
     * Replicas share one CA (issue 12 §1): {@code --tls-dir}; null means {@code <data-dir>/tls}.
     */
    public ServerOptions withTlsDir(Path dir) {
      return new ServerOptions(
          dataDir, grpcPort, dbUrl, dbUser, dbPassword, timings, jvmOptions, dir);
    }

    /** What clients trust this server by: {@code trust.pem} in its TLS directory. */
    public Path trustFile() {
      return (tlsDir != null ? tlsDir : dataDir.resolve("tls")).resolve("trust.pem");
    }

    public ServerOptions onPort(int port) {
      return new ServerOptions(
          dataDir, port, dbUrl, dbUser, dbPassword, timings, jvmOptions, tlsDir);
    }

    public ServerOptions withDatabase(String url, String user, String password) {
      return new ServerOptions(dataDir, grpcPort, url, user, password, timings, jvmOptions, tlsDir);
    }

    /** That database, or H2 under the data dir when {@code db} is null. */
    public ServerOptions withDatabase(TestDatabases.Db db) {
      return db == null ? this : withDatabase(db.url(), db.user(), db.password());
    }

    /** Server flags instead of {@link #SHORT_TIMINGS}, e.g. the defaults of production. */
    public ServerOptions withTimings(String... flags) {
      return new ServerOptions(
          dataDir, grpcPort, dbUrl, dbUser, dbPassword, List.of(flags), jvmOptions, tlsDir);
    }

    /** JVM options instead of {@link #SMALL_JVM}. */
    public ServerOptions withJvm(String... options) {
      return new ServerOptions(
          dataDir, grpcPort, dbUrl, dbUser, dbPassword, timings, List.of(options), tlsDir);
    }
  }

  /** Starts {@code botfleet server} with short agent timings and waits for its ports file. */
  public Orchestrator startOrchestrator(String name, ServerOptions o) {
    return awaitStarted(launchOrchestrator(name, o), o);
  }

  /**
   * Starts {@code botfleet server} with short agent timings; {@link #awaitStarted} waits for it
   * (lets tests start replicas together).
   */
  public Proc launchOrchestrator(String name, ServerOptions o) {
    PortsFile.delete(o.dataDir()); // left by an earlier server on this data dir
    List<String> args =
        new ArrayList<>(
            List.of(
                "server",
                "--data-dir",
                o.dataDir().toString(),
                "--bind",
                "127.0.0.1",
                "--grpc-port",
                Integer.toString(o.grpcPort()),
                "--http-port",
                "0"));
    args.addAll(o.timings());
    if (o.tlsDir() != null) {
      args.addAll(List.of("--tls-dir", o.tlsDir().toString()));
    }
    Map<String, String> env = new java.util.HashMap<>();
    // Load tests and benchmarks drive thousands of calls a second as one admin: no per-principal
    // request rate limit (issue 12 §4) unless a test passes --rate-limit itself.
    env.put("BOTFLEET_RATE_LIMIT", "0");
    if (o.dbUrl() != null) {
      args.addAll(List.of("--db-url", o.dbUrl()));
      if (o.dbUser() != null) {
        args.addAll(List.of("--db-user", o.dbUser()));
      }
      env.put("BOTFLEET_DB_PASSWORD", o.dbPassword() == null ? "" : o.dbPassword());
    }
    return start(name, ORCHESTRATOR_MAIN, o.jvmOptions(), args, env);
  }

  /**
   * Waits for the {@link PortsFile} of this orchestrator process (bounded); fails with the log when
   * the process exits first.
   */
  public Orchestrator awaitStarted(Proc p, ServerOptions o) {
    PortsFile[] ports = new PortsFile[1];
    await("ports file of " + p)
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              var read = PortsFile.read(o.dataDir()).filter(f -> f.pid() == p.pid());
              if (read.isPresent()) {
                ports[0] = read.get();
                return true;
              }
              if (!p.alive()) {
                throw new AssertionError(
                    p
                        + " exited with "
                        + p.process.exitValue()
                        + " before writing its ports:\n"
                        + p.tail(60));
              }
              return false;
            });
    return new Orchestrator(p, o.dataDir(), ports[0].grpc(), ports[0].http(), o.trustFile());
  }

  /**
   * Starts {@code agent …}; {@code env} is added to its environment (flows inherit it, so a flow
   * can tell which agent ran it).
   */
  public Proc startAgent(String name, List<String> args, Map<String, String> env) {
    List<String> all = new ArrayList<>();
    all.add("agent");
    all.addAll(args);
    return start(name, AGENT_MAIN, all, env);
  }

  /** Starts {@code mainClass} in a {@link #SMALL_JVM}. */
  public Proc start(String name, String mainClass, List<String> args, Map<String, String> env) {
    return start(name, mainClass, SMALL_JVM, args, env);
  }

  /**
   * Starts {@code mainClass} with {@code args} on the {@link #childClasspath()}; its output goes to
   * a log under this harness's directory. Only the small default JVM maps a class-data archive.
   */
  public Proc start(
      String name,
      String mainClass,
      List<String> jvmOptions,
      List<String> args,
      Map<String, String> env) {
    Path log = logDir.resolve(String.format("%02d-%s.log", sequence.incrementAndGet(), name));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-cp", childClasspath()));
    command.addAll(jvmOptions);
    ClassData.Dump dump =
        jvmOptions.equals(SMALL_JVM) ? ClassData.options(mainClass, command) : null;
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(logDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // Only what the test says: no BOTFLEET_* settings of whoever runs the build.
    pb.environment().keySet().removeIf(k -> k.startsWith("BOTFLEET_"));
    pb.environment().putAll(env);
    try {
      Files.writeString(
          log,
          "$ "
              + String.join(" ", command.subList(0, 1))
              + " … "
              + mainClass
              + " "
              + String.join(" ", args)
              + "\n");
      Proc p = new Proc(name, pb.start(), log, dump);
      all.add(p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private static String classpath;

  /**
   * The test classpath, with Botfleet's own jars and class folders copied once per test JVM to
   * {@code target/e2e-classpath}: other builds reinstalling them while the suite runs must not pull
   * classes from under a running orchestrator or agent.
   */
  public static synchronized String childClasspath() {
    if (classpath != null) {
      return classpath;
    }
    String[] entries = System.getProperty("java.class.path").split(java.io.File.pathSeparator);
    Path snapshot = snapshotDir();
    deleteStaleSnapshots(snapshot.getParent());
    List<String> out = new ArrayList<>();
    try {
      for (int i = 0; i < entries.length; i++) {
        Path entry = Path.of(entries[i]).toAbsolutePath();
        String name = entry.getFileName() == null ? "" : entry.getFileName().toString();
        if (name.equals("test-classes")) {
          continue; // the tests themselves; the child processes do not need them
        }
        if (Files.isDirectory(entry)) {
          // A module's classes in a reactor build: a jar, since class-data archives refuse folders.
          Path jar = snapshot.resolve(i + "-" + name + ".jar");
          jarOf(entry, jar);
          out.add(jar.toString());
        } else if (entries[i].contains("/dev/botfleet/") && Files.exists(entry)) {
          Path copy = snapshot.resolve(i + "-" + name);
          Files.createDirectories(snapshot);
          Files.copy(entry, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          out.add(copy.toString());
        } else {
          out.add(entries[i]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot snapshot the classpath to " + snapshot, e);
    }
    classpath = String.join(java.io.File.pathSeparator, out);
    return classpath;
  }

  /** Files of this test JVM's child processes: classpath snapshot, class-data archives. */
  public static Path snapshotDir() {
    return Path.of("target", "e2e-classpath", Long.toString(ProcessHandle.current().pid()))
        .toAbsolutePath();
  }

  /** Snapshots of test JVMs that are gone. */
  private static void deleteStaleSnapshots(Path root) {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (var dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        boolean gone;
        try {
          gone =
              ProcessHandle.of(Long.parseLong(d.getFileName().toString()))
                  .map(h -> !h.isAlive())
                  .orElse(true);
        } catch (NumberFormatException e) {
          gone = true;
        }
        if (gone) {
          try (var paths = Files.walk(d)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }

  private static void jarOf(Path dir, Path jar) throws IOException {
    Files.createDirectories(jar.getParent());
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
        var paths = Files.walk(dir)) {
      for (Path p : paths.sorted().toList()) {
        String name = dir.relativize(p).toString().replace(java.io.File.separatorChar, '/');
        if (name.isEmpty()) {
          continue;
        }
        // Directory entries too: Flyway finds classpath:db/migration through them (a folder on
        // the classpath, e.g. a benchmark run from test-compile output, has no packaged jar).
        boolean directory = Files.isDirectory(p);
        out.putNextEntry(new java.util.jar.JarEntry(directory ? name + "/" : name));
        if (!directory) {
          Files.copy(p, out);
        }
        out.closeEntry();
      }
    }
  }

  /** A port that was free a moment ago, for a server that must come back on the same port. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where each log is, with its last lines, for a failed test's report. */
  public String report() {
    StringBuilder sb = new StringBuilder();
    for (Proc p : all) {
      sb.append("==== ")
          .append(p)
          .append(p.alive() ? " running" : " exited " + p.process.exitValue())
          .append('\n');
      sb.append(p.tail(40));
    }
    return sb.toString();
  }

  /**
   * Kills every process still running (agents first), and waits for them. A JVM writing a
   * class-data archive gets SIGTERM instead, so the archive is written.
   */
  @Override
  public void close() {
    List<Proc> reversed = new ArrayList<>(all);
    java.util.Collections.reverse(reversed);
    for (Proc p : reversed) {
      if (p.alive()) {
        if (p.dump != null) {
          p.process.destroy();
        } else {
          p.process.destroyForcibly();
        }
      }
    }
    for (Proc p : reversed) {
      try {
        if (!p.process.waitFor(20, TimeUnit.SECONDS)) {
          p.process.destroyForcibly();
          p.process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ClassData.ended(p);
    }
  }
}
