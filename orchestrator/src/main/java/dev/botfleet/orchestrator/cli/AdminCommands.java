package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.principals.PrincipalService;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Offline tools run on the server's host, against its database, without a running server. */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = "Offline tools for someone with access to the server's files.",
    subcommands = {AdminCommands.ResetToken.class})
final class AdminCommands {
  @Command(
      name = "reset-token",
      mixinStandardHelpOptions = true,
      description = {
        "Recover a lost admin token (issue 12 §3): gives the principal a new token, stops its older"
            + " tokens, lifts a revocation, writes the token to <data-dir>/admin.token (0600) and"
            + " prints where. Needs no running server; audited as local-operator.",
        "With the embedded H2 database stop the server first (it holds the database file); with"
            + " --db-url (PostgreSQL) running servers honour the new token at once."
      })
  static final class ResetToken implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--data-dir",
        defaultValue = "data",
        description =
            "The server's state directory: its H2 database, and where admin.token is written (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
        names = "--db-url",
        description = "JDBC URL of the server's database (default: H2 file under --data-dir).")
    String dbUrl;

    @Option(names = "--db-user", description = "Database user.")
    String dbUser;

    @Option(
        names = "--db-password",
        description = "Database password (prefer BOTFLEET_DB_PASSWORD).")
    String dbPassword;

    @Option(
        names = "--name",
        defaultValue = "admin",
        description = "The principal to give a new token (default: ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() throws Exception {
      if (ServerCommand.blankToNull(dbUrl) == null
          && !java.nio.file.Files.exists(dataDir.resolve("botfleet.mv.db"))) {
        spec.commandLine()
            .getErr()
            .println(
                "admin reset-token: no database in "
                    + dataDir.toAbsolutePath()
                    + " (expected: the server's --data-dir, or --db-url for PostgreSQL)");
        return 1;
      }
      OrchestratorConfig config =
          new OrchestratorConfig(
              dataDir,
              "127.0.0.1",
              0,
              0,
              ServerCommand.blankToNull(dbUrl),
              dbUser,
              dbPassword,
              2,
              Clock.systemUTC());
      try (Orchestrator o = Orchestrator.open(config)) {
        PrincipalService.Rotated r = o.principals.resetToken(name);
        Path file = Orchestrator.writeAdminToken(dataDir, r.token());
        var out = spec.commandLine().getOut();
        out.println(
            "new token for "
                + r.principal().name()
                + " written to "
                + file.toAbsolutePath()
                + " (readable by its owner only); older tokens of "
                + r.principal().name()
                + " stopped working");
        out.flush();
      }
      return 0;
    }
  }
}
