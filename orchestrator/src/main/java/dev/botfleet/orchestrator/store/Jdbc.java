package dev.botfleet.orchestrator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Small JDBC helpers for repositories: bind, query, map, on the current transaction. */
public final class Jdbc {
  private final JdbcTransactions tx;

  public Jdbc(JdbcTransactions tx) {
    this.tx = tx;
  }

  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  public Dialect dialect() {
    return tx.dialect();
  }

  public Connection connection() {
    return tx.connection();
  }

  public <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
    try (PreparedStatement ps = tx.connection().prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(mapper.map(rs));
        }
        return rows;
      }
    } catch (SQLException e) {
      throw new JdbcTransactions.SqlFailure(e);
    }
  }

  public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
    List<T> rows = query(sql, mapper, args);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  public long queryLong(String sql, Object... args) {
    return queryOne(sql, rs -> rs.getLong(1), args).orElse(0L);
  }

  public int update(String sql, Object... args) {
    try (PreparedStatement ps = tx.connection().prepareStatement(sql)) {
      bind(ps, args);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new JdbcTransactions.SqlFailure(e);
    }
  }

  /** Runs one statement for many argument rows in one round trip. */
  public int[] batch(String sql, List<Object[]> rows) {
    try (PreparedStatement ps = tx.connection().prepareStatement(sql)) {
      for (Object[] args : rows) {
        bind(ps, args);
        ps.addBatch();
      }
      return ps.executeBatch();
    } catch (SQLException e) {
      throw new JdbcTransactions.SqlFailure(e);
    }
  }

  static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a instanceof Instant instant) {
        ps.setObject(i + 1, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
      } else if (a instanceof Enum<?> e) {
        ps.setString(i + 1, e.name());
      } else if (a == null) {
        ps.setNull(i + 1, Types.NULL);
      } else {
        ps.setObject(i + 1, a);
      }
    }
  }

  public static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
