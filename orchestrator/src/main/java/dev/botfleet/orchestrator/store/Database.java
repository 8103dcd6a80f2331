package dev.botfleet.orchestrator.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The connection pool, schema migration and dialect of one database (O2). */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final Dialect dialect;
  private final String url;

  private Database(HikariDataSource dataSource, Dialect dialect, String url) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.url = url;
  }

  /**
   * The default store: an H2 file database under {@code dataDir}. WRITE_DELAY=0 so a commit is
   * handed to the OS before it is acknowledged: SIGKILL after a reply loses nothing (O2).
   */
  public static String h2FileUrl(Path dataDir) {
    Path base = dataDir.toAbsolutePath().resolve("botfleet");
    return "jdbc:h2:file:" + base + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0;LOCK_TIMEOUT=10000";
  }

  public static Database open(String url, String user, String password, int maxPoolSize) {
    requireNonNull(url, "url");
    Dialect dialect = Dialect.forUrl(url);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (user != null && !user.isBlank()) {
      config.setUsername(user);
    }
    if (password != null && !password.isBlank()) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(maxPoolSize);
    config.setPoolName("botfleet-" + dialect.name());
    config.setAutoCommit(false);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setConnectionTimeout(10_000);
    HikariDataSource ds = new HikariDataSource(config);
    try {
      Flyway.configure()
          .dataSource(ds)
          .locations("classpath:db/migration")
          .failOnMissingLocations(true)
          .load()
          .migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds, dialect, url);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public Dialect dialect() {
    return dialect;
  }

  /** The URL without parameters (H2 {@code ;…}, PostgreSQL {@code ?user=…&password=…}), for logs. */
  public String url() {
    int end = url.length();
    for (char c : new char[] {';', '?'}) {
      int i = url.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    return url.substring(0, end);
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
