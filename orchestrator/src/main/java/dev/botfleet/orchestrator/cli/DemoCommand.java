package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The first command a newcomer runs: an orchestrator on an embedded H2 file database under ./data. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Start a local orchestrator on an embedded database under ./data.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--data-dir", defaultValue = "data", description = "State directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--grpc-port", defaultValue = "7443", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(names = "--http-port", defaultValue = "9464", description = "HTTP port (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Override
  public Integer call() throws Exception {
    OrchestratorConfig config =
        new OrchestratorConfig(dataDir, "127.0.0.1", grpcPort, httpPort, null, null, null, 16, Clock.systemUTC());
    Orchestrator o = Orchestrator.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(o::close, "shutdown"));
    ServerCommand.printBanner(o);
    System.out.println();
    System.out.println("Try, in another terminal:");
    System.out.println("  ./botfleet env create prod --type PRODUCTION");
    System.out.println("  ./botfleet capacity purchase --sku PROCESS --quantity 10");
    System.out.println("  ./botfleet capacity allocate --env prod --sku PROCESS --quantity 4");
    System.out.println("  ./botfleet capacity summary");
    System.out.println("Ctrl-C stops the demo; state stays in " + dataDir.toAbsolutePath());
    System.out.flush();
    o.blockUntilShutdown();
    return 0;
  }
}
