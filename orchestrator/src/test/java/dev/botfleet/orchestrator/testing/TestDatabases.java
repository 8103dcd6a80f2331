package dev.botfleet.orchestrator.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * Real databases for tests (DESIGN "Tests"): H2 in a temp file, and PostgreSQL — the local server
 * where it answers ({@code BOTFLEET_TEST_PG_URL}, default 127.0.0.1:5432/test as postgres),
 * otherwise embedded PostgreSQL. Each call makes a fresh database, so test classes are
 * parallel-safe. With {@code BOTFLEET_REQUIRE_PG=1} (CI) a missing local server fails.
 */
public final class TestDatabases {
  public record Db(String url, String user, String password) {}

  private static final String DEFAULT_PG = "jdbc:postgresql://127.0.0.1:5432/test";
  private static volatile EmbeddedPostgres embedded;
  private static final java.util.List<String> created =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  static {
    // Databases made by this JVM are dropped when it exits, so the local server does not fill up.
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TestDatabases::dropCreated, "drop-test-databases"));
  }

  private static void dropCreated() {
    if (created.isEmpty()) {
      return;
    }
    String adminUrl = System.getenv().getOrDefault("BOTFLEET_TEST_PG_URL", DEFAULT_PG);
    String user = System.getenv().getOrDefault("BOTFLEET_TEST_PG_USER", "postgres");
    String password = System.getenv().getOrDefault("BOTFLEET_TEST_PG_PASSWORD", "");
    try (Connection c = DriverManager.getConnection(adminUrl, user, password);
        Statement s = c.createStatement()) {
      for (String name : created) {
        try {
          s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException ignored) {
          // best effort
        }
      }
    } catch (SQLException ignored) {
      // embedded or unreachable: nothing to clean
    }
  }

  private TestDatabases() {}

  public static Db h2(Path dir) {
    return new Db(dev.botfleet.orchestrator.store.Database.h2FileUrl(dir), null, null);
  }

  /** A new, empty PostgreSQL database. */
  public static synchronized Db postgres() {
    String adminUrl = System.getenv().getOrDefault("BOTFLEET_TEST_PG_URL", DEFAULT_PG);
    String user = System.getenv().getOrDefault("BOTFLEET_TEST_PG_USER", "postgres");
    String password = System.getenv().getOrDefault("BOTFLEET_TEST_PG_PASSWORD", "");
    String name =
        "botfleet_t_"
            + UUID.randomUUID()
                .toString()
                .replace("-", "")
                .substring(0, 16)
                .toLowerCase(Locale.ROOT);
    try (Connection c = DriverManager.getConnection(adminUrl, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
      created.add(name);
      return new Db(adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + name, user, password);
    } catch (SQLException local) {
      if ("1".equals(System.getenv("BOTFLEET_REQUIRE_PG"))) {
        throw new AssertionError(
            "BOTFLEET_REQUIRE_PG=1 but PostgreSQL at "
                + adminUrl
                + " is not reachable: "
                + local.getMessage(),
            local);
      }
      return embeddedDatabase(name, local);
    }
  }

  private static Db embeddedDatabase(String name, SQLException localFailure) {
    try {
      if (embedded == null) {
        System.err.println(
            "*** PostgreSQL not reachable ("
                + localFailure.getMessage()
                + "): starting embedded PostgreSQL ***");
        Path dir = Path.of("target", "embedded-pg");
        Files.createDirectories(dir);
        embedded = EmbeddedPostgres.builder().setOverrideWorkingDirectory(dir.toFile()).start();
      }
      try (Connection c = embedded.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      return new Db(embedded.getJdbcUrl("postgres", name), "postgres", "");
    } catch (Exception e) {
      throw new AssertionError(
          "no PostgreSQL for tests: local server failed ("
              + localFailure.getMessage()
              + ") and embedded failed ("
              + e
              + ")",
          e);
    }
  }
}
