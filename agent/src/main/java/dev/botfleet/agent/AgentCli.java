package dev.botfleet.agent;

import dev.botfleet.agent.link.LocalAgent;
import dev.botfleet.agent.link.MachineCredential;
import dev.botfleet.agent.link.Messages;
import dev.botfleet.agent.simulate.SimulateCommand;
import dev.botfleet.agent.web.AgentHttpEndpoint;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.EnvDefaults;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The agent's command line (main class of {@code botfleet-agent.jar}). {@code agent [options]}
 * enrols once (SPEC A1), then keeps the link to the orchestrator and runs what it is given; {@code
 * agent simulate …} runs the fleet simulator. A leading {@code agent} argument is accepted and
 * dropped, since the launcher calls {@code java -jar botfleet-agent.jar agent …}.
 *
 * <p>Exit codes: 0 stopped, 1 refused (not enrolled, token or credential refused, port in use), 2
 * bad usage.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    versionProvider = AgentCli.Version.class,
    subcommands = {SimulateCommand.class},
    description = {
      "Botfleet agent: enrols this machine with a one-time join token, keeps one stream to the"
          + " orchestrator, and runs the desktop flows installed in --flows-dir on its bots.",
      "Every option can also come from BOTFLEET_<OPTION> (e.g. BOTFLEET_JOIN_TOKEN) or the"
          + " properties file named by BOTFLEET_CONFIG; a flag wins over both."
    })
public final class AgentCli implements Callable<Integer> {
  static {
    configureLogging();
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description =
          "Orchestrator address (default: the one this machine enrolled with, else "
              + LocalAgent.DEFAULT_SERVER
              + ").")
  String server;

  @Option(
      names = "--join-token",
      paramLabel = "TOKEN",
      description =
          "One-time join token, needed on the first start only; ignored once enrolled. Visible to"
              + " every user in the process list: prefer --join-token-file or BOTFLEET_JOIN_TOKEN.")
  String joinToken;

  @Option(
      names = "--insecure-plaintext",
      description =
          "Talk to an orchestrator started with --insecure-plaintext: no TLS, no client"
              + " certificate.")
  boolean insecurePlaintext;

  @Option(
      names = "--ca-file",
      paramLabel = "FILE",
      description =
          "At enrolment, trust the orchestrator by this CA (PEM) instead of the join token's"
              + " fingerprint.")
  Path caFile;

  @Option(
      names = "--join-token-file",
      paramLabel = "PATH",
      description =
          "A file holding the one-time join token (issue 12 §3), read on the first start only;"
              + " it may be deleted once the agent is enrolled.")
  Path joinTokenFile;

  @Option(
      names = "--flows-dir",
      paramLabel = "DIR",
      defaultValue = "flows",
      description = "Installed desktop flows: DIR/<name>/run (default: ${DEFAULT-VALUE}).")
  Path flowsDir;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = "agent-data",
      description =
          "Credential (machine.properties) and unacknowledged run reports (default:"
              + " ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--max-sessions",
      paramLabel = "N",
      description = "Maximum concurrent sessions to report, instead of the OS default.")
  Integer maxSessions;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      defaultValue = "9465",
      description = "Port of /metrics and /healthz; 0 = a free port (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--http-host",
      paramLabel = "HOST",
      defaultValue = "0.0.0.0",
      description = "Address /metrics listens on (default: ${DEFAULT-VALUE}).")
  String httpHost;

  @Option(
      names = "--machine-name",
      paramLabel = "NAME",
      description = "Machine name asked for at enrolment (default: the hostname).")
  String machineName;

  public static void main(String[] args) {
    int code = run(args);
    System.exit(code);
  }

  /** Runs the command line without exiting; returns the exit code. */
  public static int run(String... args) {
    return commandLine().execute(withoutLeadingAgent(args));
  }

  /** The command with its subcommands and the flag &gt; env &gt; config file &gt; default order. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new AgentCli());
    commandLine.setDefaultValueProvider(EnvDefaults.fromSystem());
    return commandLine;
  }

  static String[] withoutLeadingAgent(String[] args) {
    if (args.length > 0 && "agent".equals(args[0])) {
      return Arrays.copyOfRange(args, 1, args.length);
    }
    return args;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (maxSessions != null && maxSessions < 1) {
      err.println("agent: --max-sessions " + maxSessions + " (expected: >= 1)");
      return 2;
    }
    if (joinTokenFile != null && joinToken != null && !joinToken.isBlank()) {
      err.println("agent: --join-token and --join-token-file (expected: one of them)");
      return 2;
    }
    if (spec.commandLine().getParseResult().hasMatchedOption("--join-token")) {
      err.println(
          "agent: warning: --join-token is visible to every user in the process list; prefer"
              + " --join-token-file or BOTFLEET_JOIN_TOKEN");
    }
    String token;
    try {
      token = joinTokenFile == null ? joinToken : JoinTokenFile.read(joinTokenFile, dataDir);
    } catch (IOException e) {
      err.println(
          "agent: --join-token-file "
              + joinTokenFile
              + ": "
              + e.getMessage()
              + " (expected: a readable file holding the join token)");
      return 1;
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    JvmGcMetrics gc = new JvmGcMetrics();
    for (var binder :
        List.of(
            new JvmMemoryMetrics(),
            gc,
            new JvmThreadMetrics(),
            new ClassLoaderMetrics(),
            new ProcessorMetrics(),
            new UptimeMetrics())) {
      binder.bindTo(registry);
    }
    AtomicReference<LocalAgent> running = new AtomicReference<>();
    AgentHttpEndpoint http;
    try {
      http =
          new AgentHttpEndpoint(
              httpHost,
              httpPort,
              registry,
              () -> running.get() != null && running.get().link().connected());
    } catch (IOException e) {
      err.println(
          "agent: cannot serve metrics on "
              + httpHost
              + ":"
              + httpPort
              + ": "
              + e.getMessage()
              + " (expected: a free port; --http-port 0 picks one)");
      gc.close();
      return 1;
    }
    LocalAgent agent;
    try {
      agent =
          LocalAgent.builder()
              .server(server)
              .joinToken(token)
              .insecurePlaintext(insecurePlaintext)
              .caFile(caFile)
              .flowsDir(flowsDir)
              .dataDir(dataDir)
              .maxSessions(maxSessions)
              .machineName(machineName)
              .registry(registry)
              .start();
    } catch (BotfleetException | UncheckedIOException e) {
      err.println("agent: " + e.getMessage());
      http.close();
      gc.close();
      return 1;
    }
    running.set(agent);
    Thread hook =
        new Thread(
            () -> {
              agent.close();
              http.close();
            },
            "botfleet-agent-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    banner(out, agent, http);
    try {
      agent.link().terminated().get();
      return 0;
    } catch (ExecutionException e) {
      err.println("agent: " + e.getCause().getMessage());
      return 1;
    } finally {
      agent.close();
      http.close();
      gc.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  private static void banner(PrintWriter out, LocalAgent agent, AgentHttpEndpoint http) {
    MachineCredential credential = agent.credential();
    List<String> flows;
    try {
      flows = agent.flows().names();
    } catch (UncheckedIOException e) {
      flows = List.of();
    }
    out.println("Botfleet agent " + Messages.agentVersion());
    out.printf(
        "  machine       %s (%s)%n",
        credential.machineName().isEmpty() ? "?" : credential.machineName(),
        credential.machineId());
    out.printf(
        "  environment   %s%n",
        credential.environment().isEmpty() ? "?" : credential.environment());
    out.printf("  orchestrator  %s%n", agent.server());
    out.printf(
        "  flows         %s (%d installed%s)%n",
        agent.flows().directory(),
        flows.size(),
        flows.isEmpty() ? "" : ": " + String.join(", ", flows));
    out.printf("  data          %s%n", agent.dataDir());
    out.printf("  metrics       %s/metrics%n", http.address());
    out.flush();
  }

  /** One line per event, with time; {@code -Dorg.slf4j.simpleLogger.*} still wins. */
  private static void configureLogging() {
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "false");
    String level = System.getenv("BOTFLEET_LOG_LEVEL");
    if (level != null && !level.isBlank()) {
      setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level.strip().toLowerCase(Locale.ROOT));
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** {@code --version}. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"botfleet-agent " + Messages.agentVersion()};
    }
  }
}
