package dev.botfleet.e2e;

import static org.awaitility.Awaitility.await;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts the real orchestrator and agent JVMs of one test ({@code java -cp <test classpath>}), each
 * with its output in a log file under the test's directory, and ends every one of them in {@link
 * #close()}. Ports are 0 (picked by the server) unless a test needs to restart on the same port.
 */
final class Processes implements AutoCloseable {
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  static final String ORCHESTRATOR_MAIN = "dev.botfleet.orchestrator.cli.BotfleetCli";
  static final String AGENT_MAIN = "dev.botfleet.agent.AgentCli";

  private static final Pattern GRPC = Pattern.compile("(?m)^\\s+grpc:\\s+localhost:(\\d+)\\s*$");
  private static final Pattern METRICS =
      Pattern.compile("(?m)^\\s+metrics:\\s+http://localhost:(\\d+)/metrics\\s*$");

  private final Path logDir;
  private final List<Proc> all = new CopyOnWriteArrayList<>();
  private final AtomicInteger sequence = new AtomicInteger();

  Processes(Path logDir) {
    this.logDir = logDir;
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<Proc> all() {
    return List.copyOf(all);
  }

  /** One child JVM and its log. */
  static final class Proc {
    final String name;
    final Process process;
    final Path log;

    /** The class-data archive this JVM writes when it exits normally, or null. */
    final ClassData.Dump dump;

    Proc(String name, Process process, Path log, ClassData.Dump dump) {
      this.name = name;
      this.process = process;
      this.log = log;
      this.dump = dump;
    }

    long pid() {
      return process.pid();
    }

    boolean alive() {
      return process.isAlive();
    }

    String log() {
      try {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      } catch (IOException e) {
        return "(cannot read " + log + ": " + e + ")";
      }
    }

    /** The last {@code lines} lines of the log. */
    String tail(int lines) {
      String[] all = log().split("\n");
      StringBuilder sb = new StringBuilder();
      for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
        sb.append(all[i]).append('\n');
      }
      return sb.toString();
    }

    /** SIGKILL (destroyForcibly on Linux), then waits for the process to be gone. */
    void kill9() {
      process.destroyForcibly();
      waitGone();
      ClassData.ended(this);
    }

    /** SIGTERM, then waits; forcibly after 20 s. */
    void stop() {
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
    int awaitExit(Duration max) {
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

  /** A running orchestrator: its ports, data directory and admin token. */
  static final class Orchestrator {
    final Proc proc;
    final Path dataDir;
    final int grpcPort;
    final int httpPort;

    Orchestrator(Proc proc, Path dataDir, int grpcPort, int httpPort) {
      this.proc = proc;
      this.dataDir = dataDir;
      this.grpcPort = grpcPort;
      this.httpPort = httpPort;
    }

    String address() {
      return "127.0.0.1:" + grpcPort;
    }

    String metricsUrl() {
      return "http://127.0.0.1:" + httpPort + "/metrics";
    }
  }

  /** Options of one orchestrator start. */
  record ServerOptions(Path dataDir, int grpcPort, String dbUrl, String dbUser, String dbPassword) {
    static ServerOptions h2(Path dataDir) {
      return new ServerOptions(dataDir, 0, null, null, null);
    }

    ServerOptions onPort(int port) {
      return new ServerOptions(dataDir, port, dbUrl, dbUser, dbPassword);
    }

    ServerOptions withDatabase(String url, String user, String password) {
      return new ServerOptions(dataDir, grpcPort, url, user, password);
    }
  }

  /** Starts {@code botfleet server} with short agent timings and waits for its banner. */
  Orchestrator startOrchestrator(String name, ServerOptions o) {
    return awaitBanner(launchOrchestrator(name, o), o);
  }

  /** Starts {@code botfleet server} with short agent timings; {@link #awaitBanner} waits for it. */
  Proc launchOrchestrator(String name, ServerOptions o) {
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
                "0",
                "--heartbeat-interval",
                "1s",
                "--offline-after",
                "3s",
                "--assign-lease",
                "10s"));
    Map<String, String> env = new java.util.HashMap<>();
    if (o.dbUrl() != null) {
      args.addAll(List.of("--db-url", o.dbUrl()));
      if (o.dbUser() != null) {
        args.addAll(List.of("--db-user", o.dbUser()));
      }
      env.put("BOTFLEET_DB_PASSWORD", o.dbPassword() == null ? "" : o.dbPassword());
    }
    return start(name, ORCHESTRATOR_MAIN, args, env);
  }

  /** Waits for the banner of an orchestrator and reads its ports from it. */
  Orchestrator awaitBanner(Proc p, ServerOptions o) {
    int[] ports = new int[2];
    await("banner of " + p)
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              String log = p.log();
              Matcher g = GRPC.matcher(log);
              Matcher m = METRICS.matcher(log);
              if (g.find() && m.find()) {
                ports[0] = Integer.parseInt(g.group(1));
                ports[1] = Integer.parseInt(m.group(1));
                return true;
              }
              if (!p.alive()) {
                throw new AssertionError(
                    p
                        + " exited with "
                        + p.process.exitValue()
                        + " before its banner:\n"
                        + p.tail(60));
              }
              return false;
            });
    return new Orchestrator(p, o.dataDir(), ports[0], ports[1]);
  }

  /**
   * Starts {@code agent …}; {@code env} is added to its environment (flows inherit it, so a flow
   * can tell which agent ran it).
   */
  Proc startAgent(String name, List<String> args, Map<String, String> env) {
    List<String> all = new ArrayList<>();
    all.add("agent");
    all.addAll(args);
    return start(name, AGENT_MAIN, all, env);
  }

  Proc start(String name, String mainClass, List<String> args, Map<String, String> env) {
    Path log = logDir.resolve(String.format("%02d-%s.log", sequence.incrementAndGet(), name));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-cp",
            childClasspath(),
            // Small, quick JVMs: several run at once on two cores.
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xmx256m",
            "-Xss512k",
            "-Djava.awt.headless=true"));
    ClassData.Dump dump = ClassData.options(mainClass, command);
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
  static synchronized String childClasspath() {
    if (classpath != null) {
      return classpath;
    }
    String[] entries = System.getProperty("java.class.path").split(java.io.File.pathSeparator);
    Path snapshot = snapshotDir();
    deleteStaleSnapshots(snapshot.getParent());
    List<String> out = new ArrayList<>();
    Path ownClasses = ownClasses();
    try {
      for (int i = 0; i < entries.length; i++) {
        Path entry = Path.of(entries[i]).toAbsolutePath();
        String name = entry.getFileName() == null ? "" : entry.getFileName().toString();
        if (entry.equals(ownClasses)) {
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
  static Path snapshotDir() {
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

  private static Path ownClasses() {
    try {
      return Path.of(Processes.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toAbsolutePath();
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  private static void jarOf(Path dir, Path jar) throws IOException {
    Files.createDirectories(jar.getParent());
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
        var paths = Files.walk(dir)) {
      for (Path p : paths.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(
            new java.util.jar.JarEntry(
                dir.relativize(p).toString().replace(java.io.File.separatorChar, '/')));
        Files.copy(p, out);
        out.closeEntry();
      }
    }
  }

  /** A port that was free a moment ago, for a server that must come back on the same port. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where each log is, with its last lines, for a failed test's report. */
  String report() {
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
