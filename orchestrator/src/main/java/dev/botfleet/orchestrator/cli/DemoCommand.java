package dev.botfleet.orchestrator.cli;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentType;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.MachineStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The first command a newcomer runs: an orchestrator on an embedded H2 file database under ./data,
 * an environment "demo" with two process units, and one local agent with two sample desktop flows,
 * so a run can succeed within a minute of the first command.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Start a local orchestrator (embedded database under ./data) and a local agent with sample flows.")
final class DemoCommand implements Callable<Integer> {
  static final String ENV = "demo";
  static final String MACHINE = "demo-agent";

  @Option(
      names = "--data-dir",
      defaultValue = "data",
      description = "State directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--grpc-port",
      defaultValue = "7443",
      description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(
      names = "--http-port",
      defaultValue = "9464",
      description = "HTTP port (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--agent-http-port",
      defaultValue = "9465",
      description = "The local agent's metrics port (default: ${DEFAULT-VALUE}).")
  int agentHttpPort;

  @Option(names = "--no-agent", description = "Start only the orchestrator.")
  boolean noAgent;

  @Override
  public Integer call() throws Exception {
    OrchestratorConfig config =
        new OrchestratorConfig(
                dataDir, "127.0.0.1", grpcPort, httpPort, null, null, null, 16, Clock.systemUTC())
            // Issue 12: the demo serves mutual TLS too; the CLI finds data/tls/ca.pem by itself.
            .withTls(OrchestratorConfig.Tls.ownCa());
    Orchestrator o = Orchestrator.start(config);
    List<Process> children = new ArrayList<>();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  children.forEach(
                      p -> {
                        p.destroy();
                        try {
                          p.waitFor(5, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        p.destroyForcibly();
                      });
                  o.close();
                },
                "shutdown"));
    ServerCommand.printBanner(o);
    Principal admin = admin(o);
    prepareEnvironment(o, admin);
    if (!noAgent) {
      Path flows = writeSampleFlows(dataDir.resolve("flows"));
      Optional<Path> agentJar = agentJar();
      if (agentJar.isEmpty()) {
        System.out.println(
            "  agent: not started (agent jar not found; build with `mvn -DskipTests package`)");
      } else {
        children.add(startAgent(o, admin, agentJar.get(), flows));
        Machine m = awaitOnline(o, Duration.ofSeconds(60));
        System.out.println(
            "  agent:   "
                + m.name()
                + " online ("
                + m.capacity().osFamily()
                + ", "
                + m.capacity().maxSessions()
                + " sessions), flows "
                + m.capacity().installedFlows()
                + ", log "
                + dataDir.resolve("agent.log").toAbsolutePath());
      }
    }
    String server = "--server localhost:" + o.grpcPort();
    System.out.println();
    System.out.println("Try, in another terminal (from this directory):");
    System.out.println(
        "  ./botfleet run submit --env demo --flow hello --machine "
            + MACHINE
            + " --input name=you --wait "
            + server);
    System.out.println("  ./botfleet machine list --env demo " + server);
    System.out.println("  ./botfleet capacity summary " + server);
    System.out.println("  ./botfleet utilization process --env demo " + server);
    System.out.println("Ctrl-C stops the demo; state stays in " + dataDir.toAbsolutePath());
    System.out.flush();
    o.blockUntilShutdown();
    return 0;
  }

  private static Principal admin(Orchestrator o) throws IOException {
    Path tokenFile =
        o.adminTokenFile()
            .orElseThrow(() -> new IllegalStateException("no admin.token in the data dir"));
    return o.principals
        .authenticate(Files.readString(tokenFile).trim())
        .orElseThrow(
            () -> new IllegalStateException(tokenFile + " does not hold a valid admin token"));
  }

  /** Idempotent: an environment "demo" with two PROCESS units allocated. */
  private static void prepareEnvironment(Orchestrator o, Principal admin) {
    Environment env;
    try {
      env = o.environments.require(ENV);
    } catch (BotfleetException e) {
      env = o.environments.create(admin, ENV, EnvironmentType.DEFAULT);
    }
    o.capacity.purchase(admin, Sku.PROCESS, 2, false, "demo-process-units");
    long allocated =
        o.capacity.summary().environment(env.name()).usage().stream()
            .filter(u -> u.sku() == Sku.PROCESS)
            .mapToLong(u -> u.allocated())
            .sum();
    if (allocated < 2) {
      try {
        o.capacity.allocate(admin, ENV, Sku.PROCESS, 2);
      } catch (BotfleetException e) {
        System.out.println("  note: could not allocate demo capacity: " + e.getMessage());
      }
    }
  }

  static Path writeSampleFlows(Path dir) throws IOException {
    boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");
    if (windows) {
      write(
          dir.resolve("hello/run.cmd"),
          "@echo off\r\necho Hello, %BOTFLEET_INPUT_NAME%! (run %BOTFLEET_RUN_ID%)\r\n"
              + "echo {\"greeting\": \"Hello, %BOTFLEET_INPUT_NAME%\"} > \"%BOTFLEET_OUTPUT%\"\r\n");
      write(
          dir.resolve("slow/run.cmd"),
          "@echo off\r\necho working...\r\ntimeout /t 30 /nobreak > nul\r\necho done\r\n");
      return dir;
    }
    write(
        dir.resolve("hello/run"),
        """
        #!/bin/sh
        # Sample desktop flow: greets the input "name" and returns an output.
        name="${BOTFLEET_INPUT_NAME:-world}"
        echo "Hello, $name! (run $BOTFLEET_RUN_ID on $(hostname))"
        printf '{"greeting": "Hello, %s"}' "$name" > "$BOTFLEET_OUTPUT"
        """);
    write(
        dir.resolve("slow/run"),
        """
        #!/bin/sh
        # Sample desktop flow that takes a while: try `botfleet run cancel` on it.
        seconds="${BOTFLEET_INPUT_SECONDS:-30}"
        echo "working for $seconds s..."
        sleep "$seconds"
        echo done
        """);
    return dir;
  }

  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (UnsupportedOperationException ignored) {
      // Windows: .cmd files need no mode.
    }
  }

  static Optional<Path> agentJar() {
    String fromLauncher = System.getProperty("botfleet.agent.jar");
    if (fromLauncher != null && Files.isRegularFile(Path.of(fromLauncher))) {
      return Optional.of(Path.of(fromLauncher));
    }
    Path local = Path.of("agent", "target", "botfleet-agent.jar");
    return Files.isRegularFile(local) ? Optional.of(local) : Optional.empty();
  }

  private Process startAgent(Orchestrator o, Principal admin, Path jar, Path flows)
      throws IOException {
    Path agentData = dataDir.resolve("agent");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toAbsolutePath().toString(),
                "agent",
                "--server",
                "127.0.0.1:" + o.grpcPort(),
                "--flows-dir",
                flows.toAbsolutePath().toString(),
                "--data-dir",
                agentData.toAbsolutePath().toString(),
                "--http-port",
                Integer.toString(agentHttpPort),
                "--machine-name",
                MACHINE));
    ProcessBuilder agent = new ProcessBuilder(cmd);
    if (!Files.exists(agentData.resolve("machine.properties"))) {
      var token = o.enrolment.createJoinToken(admin, ENV, null, Duration.ofMinutes(10));
      // In the environment, not the command line, where every user's `ps` would show it.
      agent.environment().put("BOTFLEET_JOIN_TOKEN", token.token());
    }
    Path log = dataDir.resolve("agent.log");
    return agent
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private static Machine awaitOnline(Orchestrator o, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Machine> m =
          o.machines.list(ENV).stream().filter(x -> x.name().equals(MACHINE)).findFirst();
      if (m.isPresent() && m.get().status() == MachineStatus.ONLINE) {
        return m.get();
      }
      TimeUnit.MILLISECONDS.sleep(250);
    }
    throw new IllegalStateException(
        "the local agent did not come online within " + timeout + "; see data/agent.log");
  }
}
