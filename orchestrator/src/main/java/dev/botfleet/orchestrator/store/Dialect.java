package dev.botfleet.orchestrator.store;

/**
 * What differs between H2 (file mode, MODE=PostgreSQL) and PostgreSQL, in one place (DESIGN "H2
 * differences"). Everything else is one SQL for both.
 */
public interface Dialect {
  String name();

  /** Whether the database can wake other replicas through LISTEN/NOTIFY. */
  boolean supportsListenNotify();

  /** SQLStates that mean "retry the whole transaction" (deadlock, serialization, lock time-out). */
  default boolean isRetryable(String sqlState) {
    return "40001".equals(sqlState) || "40P01".equals(sqlState);
  }

  /**
   * Whether a many-row insert may go as one statement over array parameters ({@code unnest}) with
   * {@code RETURNING}: one statement to parse and plan instead of one per row (issue 9 metering).
   */
  default boolean arrayInserts() {
    return false;
  }

  /**
   * What ends a {@code SELECT} of rows about to be changed so rows other transactions hold are
   * skipped rather than waited for (or deadlocked on): {@code FOR UPDATE SKIP LOCKED} on
   * PostgreSQL; nothing on H2, which locks every row it reads (DESIGN "H2 differences") and serves
   * one orchestrator.
   */
  default String skipLocked() {
    return "";
  }

  static Dialect forUrl(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return new PostgresDialect();
    }
    if (jdbcUrl.startsWith("jdbc:h2:")) {
      return new H2Dialect();
    }
    throw new IllegalArgumentException(
        "db-url: '" + jdbcUrl + "' (expected: jdbc:h2:… or jdbc:postgresql:…)");
  }

  final class H2Dialect implements Dialect {
    @Override
    public String name() {
      return "h2";
    }

    @Override
    public boolean supportsListenNotify() {
      return false;
    }

    @Override
    public boolean isRetryable(String sqlState) {
      // 40001 deadlock, HYT00 lock time-out.
      return "40001".equals(sqlState) || "HYT00".equals(sqlState);
    }
  }

  final class PostgresDialect implements Dialect {
    @Override
    public String name() {
      return "postgresql";
    }

    @Override
    public boolean supportsListenNotify() {
      return true;
    }

    @Override
    public boolean arrayInserts() {
      return true;
    }

    @Override
    public String skipLocked() {
      return " FOR UPDATE SKIP LOCKED";
    }
  }
}
