package dev.botfleet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of one test's own (issue 9, fault injection): {@code initdb} in a temporary
 * folder, a free port on 127.0.0.1, its unix socket in that folder. Unlike the shared server of
 * {@link TestDatabases}, a test may crash and restart it ({@link #restartImmediately()}: {@code
 * pg_ctl -m immediate stop}, then start) while other tests run.
 *
 * <p>The binaries come from {@code BOTFLEET_PG_BIN} (a folder holding {@code initdb} and {@code
 * pg_ctl}), else the newest {@code /usr/lib/postgresql/<version>/bin}, {@code /usr/local/bin} or
 * the {@code PATH}; when none has them, {@link #start} fails saying how to install them (it never
 * skips). PostgreSQL refuses to run as root: when the test JVM is root, the cluster runs as the
 * {@code postgres} user ({@code runuser}), its folder owned by that user. {@code fsync} is off (a
 * crash of the server process loses nothing the operating system holds; only a crash of the machine
 * would), every commit still waits for its WAL write.
 */
public final class PrivatePostgres implements AutoCloseable {
  public static final String DATABASE = "botfleet";
  private static final long COMMAND_TIMEOUT_SECONDS = 90;

  private final Path root;
  private final Path data;
  private final Path logFile;
  private final Path bin;
  private final String runAs; // null: as this JVM's user
  private int port;
  private volatile boolean closed;

  /** Stops the server if the test JVM exits without {@link #close()} (an aborted run). */
  private final Thread onExit = new Thread(this::close, "private-postgres-stop");

  private PrivatePostgres(Path root, Path bin, String runAs) {
    this.root = root;
    this.data = root.resolve("data");
    this.logFile = root.resolve("postgres.log");
    this.bin = bin;
    this.runAs = runAs;
  }

  /** Creates, configures and starts a new cluster with an empty database {@value #DATABASE}. */
  public static PrivatePostgres start() {
    Path bin = binaries();
    String runAs = isRoot() ? "postgres" : null;
    Path root;
    try {
      root = Files.createTempDirectory("botfleet-pg-");
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
      if (runAs != null) {
        UserPrincipal owner;
        try {
          owner = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
        } catch (IOException e) {
          throw new AssertionError(
              "the test runs as root and PostgreSQL refuses root, but there is no '"
                  + runAs
                  + "' user to run it as (apt-get install postgresql creates it)",
              e);
        }
        Files.setOwner(root, owner);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a folder for a private PostgreSQL", e);
    }
    PrivatePostgres pg = new PrivatePostgres(root, bin, runAs);
    Runtime.getRuntime().addShutdownHook(pg.onExit);
    try {
      pg.init();
      return pg;
    } catch (RuntimeException | Error e) {
      pg.close();
      throw e;
    }
  }

  private void init() {
    run(
        List.of(
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync"),
        "initdb");
    // A port that is taken between the probe and the start: try another.
    AssertionError last = null;
    for (int i = 0; i < 3; i++) {
      port = Processes.freePort();
      writeConfig();
      try {
        startServer();
        last = null;
        break;
      } catch (AssertionError e) {
        last = e;
      }
    }
    if (last != null) {
      throw last;
    }
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + DATABASE);
    } catch (SQLException e) {
      throw new AssertionError("cannot create database " + DATABASE + " on " + this, e);
    }
  }

  private void writeConfig() {
    String conf =
        String.join(
            "\n",
            "",
            "# botfleet private test cluster",
            "listen_addresses = '127.0.0.1'",
            "port = " + port,
            "unix_socket_directories = '" + root + "'",
            "fsync = off",
            "max_connections = 100",
            "shared_buffers = 32MB",
            "logging_collector = off",
            "log_min_messages = warning",
            "");
    Path file = data.resolve("postgresql.auto.conf");
    try {
      // Owned by the cluster's user; written here as root or as that same user.
      Files.writeString(file, conf, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Starts the server (after {@link #stopImmediately()}) and waits until it takes connections. */
  public void startServer() {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            logFile.toString(),
            "-w",
            "-t",
            "60",
            "start"),
        "pg_ctl start");
  }

  /** {@code pg_ctl -m immediate stop}: every backend ends at once, as in a crash. */
  public void stopImmediately() {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-m",
            "immediate",
            "-w",
            "-t",
            "60",
            "stop"),
        "pg_ctl stop");
  }

  /** A crash and a restart: {@link #stopImmediately()} then {@link #startServer()}. */
  public void restartImmediately() {
    stopImmediately();
    startServer();
  }

  public int port() {
    return port;
  }

  /** The database of the tests, for {@link Processes.ServerOptions#withDatabase}. */
  public TestDatabases.Db db() {
    return new TestDatabases.Db(url(DATABASE), "postgres", "");
  }

  private String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  private Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(url(database), "postgres", "");
  }

  /** The server's log. */
  public String log() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  /** Copies the server's log to {@code target} (e.g. the test's kept folder). */
  public void copyLogTo(Path target) {
    try {
      Files.createDirectories(target.getParent());
      Files.writeString(target, log(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      // best effort: the log is for people
    }
  }

  private void run(List<String> command, String what) {
    List<String> full = new ArrayList<>();
    if (runAs != null) {
      full.addAll(List.of("runuser", "-u", runAs, "--"));
    }
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
    // Nothing of whoever runs the build: PGDATA, PGPORT and the like would redirect pg_ctl.
    pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + String.join(" ", full) + ": " + e.getMessage(), e);
    }
    try {
      p.getOutputStream().close();
      // The output is small (initdb, pg_ctl): read it all, then wait for the exit.
      var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p));
      if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(what + " did not end in " + COMMAND_TIMEOUT_SECONDS + " s");
      }
      String output = out.get(10, TimeUnit.SECONDS);
      if (p.exitValue() != 0) {
        throw new AssertionError(
            what
                + " of the private PostgreSQL in "
                + root
                + " exited "
                + p.exitValue()
                + ":\n"
                + output
                + "\n--- server log ---\n"
                + tail(log(), 30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new AssertionError(what + " interrupted", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError(what + ": cannot read its output", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readAll(Process p) {
    try {
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read output: " + e + ")";
    }
  }

  private static String tail(String s, int lines) {
    String[] all = s.split("\n");
    return String.join(
        "\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  /** The folder with {@code initdb} and {@code pg_ctl}, or an error that says how to get them. */
  static Path binaries() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv("BOTFLEET_PG_BIN");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env.strip()));
    }
    candidates.addAll(versionedDebianFolders());
    candidates.add(Path.of("/usr/local/bin"));
    candidates.add(Path.of("/usr/bin"));
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(java.io.File.pathSeparator)) {
        if (!p.isBlank()) {
          candidates.add(Path.of(p));
        }
      }
    }
    for (Path dir : candidates) {
      if (Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"))) {
        return dir;
      }
    }
    throw new AssertionError(
        "no PostgreSQL server binaries (initdb, pg_ctl) found in "
            + candidates
            + ": this test starts a PostgreSQL cluster of its own. Install them (Debian/Ubuntu:"
            + " apt-get install postgresql; .ci/run does it) or set BOTFLEET_PG_BIN to their"
            + " folder.");
  }

  /** {@code /usr/lib/postgresql/<version>/bin}, newest version first. */
  private static List<Path> versionedDebianFolders() {
    Path base = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) {
      return List.of();
    }
    try (Stream<Path> versions = Files.list(base)) {
      return versions
          .filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
          .sorted(
              Comparator.comparingDouble((Path p) -> Double.parseDouble(p.getFileName().toString()))
                  .reversed())
          .map(p -> p.resolve("bin"))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** The postmaster's pid while it runs, from {@code postmaster.pid}. */
  private Optional<ProcessHandle> postmaster() {
    try {
      List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"));
      return lines.isEmpty()
          ? Optional.empty()
          : ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Stops the server (immediately; forcibly if that fails) and deletes its folder. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (Thread.currentThread() != onExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs (or ran) anyway
      }
    }
    Optional<ProcessHandle> pm = postmaster();
    if (pm.isPresent()) {
      try {
        stopImmediately();
      } catch (AssertionError | RuntimeException e) {
        pm.get().destroyForcibly();
      }
      pm.get().onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temporary folder
    }
  }

  @Override
  public String toString() {
    return "private PostgreSQL on 127.0.0.1:" + port + " in " + root;
  }
}
