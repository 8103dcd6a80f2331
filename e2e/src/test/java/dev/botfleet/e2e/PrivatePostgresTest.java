package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.testing.PrivatePostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The private cluster of the fault-injection test (issue 9): it starts on a port of its own, a
 * crash ({@code -m immediate}) loses no committed row, and closing it leaves nothing running.
 */
class PrivatePostgresTest {
  @Test
  void a_crash_and_restart_keeps_committed_rows_and_close_stops_the_server() throws Exception {
    PrivatePostgres pg = PrivatePostgres.start();
    try {
      assertThat(pg.port()).isNotEqualTo(5432);
      try (Connection c = pg.db().connect();
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (n int)");
        s.execute("INSERT INTO t VALUES (42)");
      }
      pg.stopImmediately();
      assertThatThrownBy(() -> pg.db().connect().close()).isInstanceOf(SQLException.class);
      pg.startServer();
      try (Connection c = pg.db().connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT n FROM t")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    } finally {
      pg.close();
    }
    assertThatThrownBy(() -> pg.db().connect().close()).isInstanceOf(SQLException.class);
  }
}
