package dev.botfleet.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §2, migration V8 on both databases: a tenant-wide MAKER from before becomes one MAKER
 * grant per environment (nobody loses access by upgrading), and afterwards every MAKER grant names
 * an environment.
 */
class MakerScopeMigrationTest {
  @TempDir Path dir;

  @Test
  void issue_12_v8_turns_a_tenant_wide_maker_into_one_grant_per_environment_on_h2()
      throws Exception {
    String url = Database.h2FileUrl(dir);
    check(url, null, null, Database.vendorMigrations(new Dialect.H2Dialect()));
  }

  @Test
  void issue_12_v8_turns_a_tenant_wide_maker_into_one_grant_per_environment_on_postgres()
      throws Exception {
    TestDatabases.Db db = TestDatabases.emptyPostgres();
    check(
        db.url(),
        db.user(),
        db.password(),
        Database.vendorMigrations(new Dialect.PostgresDialect()));
  }

  private static void check(String url, String user, String password, String vendor)
      throws Exception {
    Flyway.configure()
        .dataSource(url, user, password)
        .locations(Database.MIGRATIONS, vendor)
        .target("6")
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO environment (id, name, type, created_at) VALUES"
              + " ('env_a', 'a', 'PRODUCTION', CURRENT_TIMESTAMP),"
              + " ('env_b', 'b', 'SANDBOX', CURRENT_TIMESTAMP)");
      st.execute(
          "INSERT INTO principal (id, name, token_hash, created_at) VALUES"
              + " ('prn_mo', 'mo', 'h1', CURRENT_TIMESTAMP),"
              + " ('prn_g', 'g', 'h2', CURRENT_TIMESTAMP)");
      st.execute(
          "INSERT INTO principal_role (principal_id, role, environment_id) VALUES"
              + " ('prn_mo', 'MAKER', NULL), ('prn_g', 'GLOBAL_ADMIN', NULL)");
    }
    Flyway.configure()
        .dataSource(url, user, password)
        .locations(Database.MIGRATIONS, vendor)
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT principal_id, role, environment_id FROM principal_role"
                    + " ORDER BY principal_id, environment_id")) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
      }
      assertThat(rows)
          .containsExactly("prn_g GLOBAL_ADMIN null", "prn_mo MAKER env_a", "prn_mo MAKER env_b");
      // From now on a MAKER without an environment is refused by the schema.
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  st.execute(
                      "INSERT INTO principal_role (principal_id, role, environment_id)"
                          + " VALUES ('prn_g', 'MAKER', NULL)"))
          .isInstanceOf(java.sql.SQLException.class);
    }
  }
}
