package dev.botfleet.e2e;

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
 * A fresh PostgreSQL database per call (DESIGN "Tests"): the local server where it answers ({@code
 * BOTFLEET_TEST_PG_URL}, default 127.0.0.1:5432/test as postgres), otherwise embedded PostgreSQL.
 * With {@code BOTFLEET_REQUIRE_PG=1} a missing local server fails. Never skips.
 */
final class Postgres {
  record Db(String url, String user, String password, String adminUrl, String name) {
    Connection connect() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    /** Drops the database, closing what is still connected to it. */
    void drop() {
      try (Connection c = DriverManager.getConnection(adminUrl, user, password);
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (SQLException e) {
        System.err.println("could not drop test database " + name + ": " + e.getMessage());
      }
    }
  }

  private static final String DEFAULT_PG = "jdbc:postgresql://127.0.0.1:5432/test";
  private static EmbeddedPostgres embedded;

  private Postgres() {}

  static synchronized Db fresh() {
    String adminUrl = System.getenv().getOrDefault("BOTFLEET_TEST_PG_URL", DEFAULT_PG);
    String user = System.getenv().getOrDefault("BOTFLEET_TEST_PG_USER", "postgres");
    String password = System.getenv().getOrDefault("BOTFLEET_TEST_PG_PASSWORD", "");
    String name =
        "botfleet_e2e_"
            + UUID.randomUUID()
                .toString()
                .replace("-", "")
                .substring(0, 16)
                .toLowerCase(Locale.ROOT);
    try (Connection c = DriverManager.getConnection(adminUrl, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
      return new Db(
          adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + name,
          user,
          password,
          adminUrl,
          name);
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
      return new Db(
          embedded.getJdbcUrl("postgres", name),
          "postgres",
          "",
          embedded.getJdbcUrl("postgres", "postgres"),
          name);
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
